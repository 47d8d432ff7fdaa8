package hooks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// AppendJSONL appends v, marshalled as one JSON line, to the file at path,
// creating the file (mode 0600) but never a folder: a missing folder is an
// error. The line goes out in a single O_APPEND write under an exclusive
// flock, so appends from several goroutines or processes never interleave.
// If maxBytes > 0 and the file is already larger than maxBytes, the file is
// first renamed to path+".1" (replacing an older one) and a new file is
// started.
//
// An append never glues its line to another: a last line without its
// newline is ended with one when it is a whole JSON value, and cut off when
// it is torn (a write cut short by a crash, a full disk or a file size
// limit; see AppendJSONLTorn to hear of it). A line that cannot be written
// whole is taken back, so it leaves no torn line behind, and is an error.
func AppendJSONL(path string, v any, maxBytes int64) error {
	_, err := AppendJSONLTorn(path, v, maxBytes)
	return err
}

// AppendJSONLTorn is AppendJSONL that also returns how many bytes of a
// torn last line it cut off the file before appending (0 when none), so
// the caller can warn about them.
func AppendJSONLTorn(path string, v any, maxBytes int64) (torn int64, err error) {
	line, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("append %s: %w", path, err)
	}
	line = append(line, '\n')
	// Another process may rotate the file between our open and our lock;
	// then the file we locked is no longer at path, and we try again.
	for range 100 {
		done, n, err := appendOnce(path, line, maxBytes)
		torn += n
		if err != nil {
			return torn, appendError(path, err)
		}
		if done {
			return torn, nil
		}
	}
	return torn, fmt.Errorf("append %s: the file keeps being replaced", path)
}

// ErrNoFolder is in the error of an append to a file whose folder does
// not exist.
var ErrNoFolder = errors.New("no such folder")

// appendError says in one line why an append failed.
func appendError(path string, err error) error {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("append %s: %w: %s", path, ErrNoFolder, filepath.Dir(path))
	case errors.As(err, &pe):
		return fmt.Errorf("append %s: %s: %w", path, pe.Op, pe.Err)
	}
	return fmt.Errorf("append %s: %w", path, err)
}

// appendOnce opens and locks path and appends line. It reports false when the
// file it locked was rotated away (by itself or another process) and the
// caller should try again, and how many bytes of a torn last line it cut.
func appendOnce(path string, line []byte, maxBytes int64) (bool, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return false, 0, err
	}
	defer f.Close() // also releases the lock
	if err := Flock(f, syscall.LOCK_EX); err != nil {
		return false, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return false, 0, err
	}
	cur, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && !os.SameFile(fi, cur)) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	if maxBytes > 0 && fi.Size() > maxBytes {
		if err := os.Rename(path, path+".1"); err != nil {
			return false, 0, err
		}
		return false, 0, nil
	}
	size, torn, err := endLine(f, fi.Size())
	if err != nil {
		return false, torn, err
	}
	n, err := f.Write(line)
	if err == nil && n < len(line) {
		err = io.ErrShortWrite
	}
	if err != nil {
		// Take the partial line back, so that no torn line is left.
		if n > 0 {
			_ = f.Truncate(size)
		}
		return false, torn, err
	}
	return true, torn, nil
}

// ErrLocked is in the error of LockJSONL when another process holds the
// file.
var ErrLocked = errors.New("in use by another process")

// A LockedJSONL is a JSONL file held open under an exclusive lock, for one
// writer that appends many records and must be the file's only writer
// while it runs (rein bench's results file). Appends to it keep
// AppendJSONL's promises; a process that calls AppendJSONL on the same
// file waits for Close.
type LockedJSONL struct {
	mu   sync.Mutex // one Append at a time
	f    *os.File
	path string
}

// LockJSONL opens the file at path for appending, creating the file (mode
// 0600) but never a folder, and locks it without waiting: a file another
// process holds is an error that wraps ErrLocked. It ends the file's last
// line as an append does, and returns how many bytes of a torn last line
// it cut off.
func LockJSONL(path string) (*LockedJSONL, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, appendError(path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, 0, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, 0, appendError(path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, appendError(path, err)
	}
	_, torn, err := endLine(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, torn, appendError(path, err)
	}
	return &LockedJSONL{f: f, path: path}, torn, nil
}

// CheckJSONLFree reports, changing nothing, whether LockJSONL could take
// the file at path now: nil, or an error that wraps ErrLocked (another
// process holds it) or ErrNoFolder (its folder does not exist).
func CheckJSONLFree(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, derr := os.Stat(filepath.Dir(path)); derr != nil {
			return appendError(path, derr)
		}
		return nil
	}
	if err != nil {
		return appendError(path, err)
	}
	defer f.Close()
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return fmt.Errorf("%s: %w", path, ErrLocked)
	}
	return err
}

// Append writes v as one JSON line. A line that cannot be written whole is
// taken back and is an error. It is safe for concurrent use.
func (l *LockedJSONL) Append(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("append %s: %w", l.path, err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	fi, err := l.f.Stat()
	if err != nil {
		return appendError(l.path, err)
	}
	size, _, err := endLine(l.f, fi.Size()) // in case a write of ours was cut short
	if err != nil {
		return appendError(l.path, err)
	}
	n, err := l.f.Write(line)
	if err == nil && n < len(line) {
		err = io.ErrShortWrite
	}
	if err != nil {
		if n > 0 {
			_ = l.f.Truncate(size)
		}
		return appendError(l.path, err)
	}
	return nil
}

// Close releases the file and its lock.
func (l *LockedJSONL) Close() error { return l.f.Close() }

// maxTail bounds how far back endLine looks for the start of the last line.
const maxTail = 64 << 20

// endLine makes the locked file f, of size bytes, end with a newline: a
// last line that is a whole JSON value gets its newline, a torn one is cut
// off. It returns the new size and how many bytes it cut.
func endLine(f *os.File, size int64) (int64, int64, error) {
	if size == 0 {
		return 0, 0, nil
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], size-1); err != nil {
		return size, 0, err
	}
	if last[0] == '\n' {
		return size, 0, nil
	}
	// Find the start of the last line, reading back in blocks.
	start := int64(-1)
	buf := make([]byte, 64<<10)
	for end := size; start < 0 && size-end < maxTail; {
		if end == 0 {
			start = 0 // the file is one line
			break
		}
		n := min(int64(len(buf)), end)
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return size, 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			start = end - n + int64(i) + 1
		}
		end -= n
	}
	if start < 0 { // a last line too long to read: keep it, but end it
		if _, err := f.Write([]byte{'\n'}); err != nil {
			return size, 0, err
		}
		return size + 1, 0, nil
	}
	tail := make([]byte, size-start)
	if _, err := f.ReadAt(tail, start); err != nil {
		return size, 0, err
	}
	if t := bytes.TrimSpace(tail); len(t) > 0 && json.Valid(t) {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			return size, 0, err
		}
		return size + 1, 0, nil
	}
	if err := f.Truncate(start); err != nil {
		return size, 0, err
	}
	return start, size - start, nil
}

// Flock takes (or, with LOCK_UN, drops) an advisory lock on f, waiting
// through interrupted calls; how is syscall.LOCK_SH or LOCK_EX.
func Flock(f *os.File, how int) error {
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

// WatchOnly implements Watcher.
func (l *eventLog) WatchOnly() bool { return true }

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
