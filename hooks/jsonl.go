package hooks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// AppendJSONL appends v, marshalled as one JSON line, to the file at path.
// It creates missing parent directories (mode 0700) and the file (mode
// 0600). The line goes out in a single O_APPEND write under an exclusive
// flock, so appends from several goroutines or processes never interleave.
// If maxBytes > 0 and the file is already larger than maxBytes, the file is
// first renamed to path+".1" (replacing an older one) and a new file is
// started.
func AppendJSONL(path string, v any, maxBytes int64) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("append %s: %w", path, err)
	}
	line = append(line, '\n')
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("append %s: %w", path, err)
	}
	// Another process may rotate the file between our open and our lock;
	// then the file we locked is no longer at path, and we try again.
	for range 100 {
		done, err := appendOnce(path, line, maxBytes)
		if err != nil {
			return fmt.Errorf("append %s: %w", path, err)
		}
		if done {
			return nil
		}
	}
	return fmt.Errorf("append %s: the file keeps being replaced", path)
}

// appendOnce opens and locks path and appends line. It reports false when the
// file it locked was rotated away (by itself or another process) and the
// caller should try again.
func appendOnce(path string, line []byte, maxBytes int64) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return false, err
	}
	defer f.Close() // also releases the lock
	if err := flock(f, syscall.LOCK_EX); err != nil {
		return false, err
	}
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	cur, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && !os.SameFile(fi, cur)) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if maxBytes > 0 && fi.Size() > maxBytes {
		if err := os.Rename(path, path+".1"); err != nil {
			return false, err
		}
		return false, nil
	}
	n, err := f.Write(line)
	if err == nil && n < len(line) {
		err = io.ErrShortWrite
	}
	return err == nil, err
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

// ReadJSONL calls fn with each complete line of the file at path (trimmed of
// surrounding white space, newline included; fn must not keep it), skipping
// blank lines; an error from fn stops the reading and is returned. A last
// line that has no trailing newline or is not valid JSON (a write cut short
// by a crash, or one in progress) is skipped and reported as torn, so the
// caller can say so.
func ReadJSONL(path string, fn func(line []byte) error) (torn bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var prev []byte // the last non-blank line read, not yet handed to fn
	for {
		line, rerr := r.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return false, fmt.Errorf("read %s: %w", path, rerr)
		}
		complete := rerr == nil
		if t := bytes.TrimSpace(line); len(t) > 0 {
			if prev != nil {
				if err := fn(prev); err != nil {
					return false, err
				}
			}
			prev = t
			if !complete {
				return true, nil // no newline: torn
			}
		}
		if !complete {
			break
		}
	}
	if prev != nil {
		if !json.Valid(prev) {
			return true, nil
		}
		if err := fn(prev); err != nil {
			return false, err
		}
	}
	return false, nil
}

// NewEventLog returns a hook that writes every event to w as one JSON line
// (Event's JSON form), for tracing. It always answers Continue. After the
// first write error it writes nothing more. It may be shared by concurrent
// runs: each line goes out in one Write.
func NewEventLog(w io.Writer) Hook {
	return &eventLog{w: w}
}

type eventLog struct {
	mu     sync.Mutex
	w      io.Writer
	failed bool
}

func (l *eventLog) OnEvent(_ context.Context, ev *Event) Decision {
	line, err := eventLine(ev)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil || l.failed {
		return Decision{}
	}
	if _, err := l.w.Write(line); err != nil {
		l.failed = true
	}
	return Decision{}
}
