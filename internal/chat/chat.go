// Package chat is the interactive chat of `rein run MODEL` with a terminal
// on stdin, as `ollama run` has it: every turn keeps the conversation and
// applies the budgets; /set changes them between turns, /show shows them
// and where they come from; Ctrl-C stops the turn in progress and keeps
// the chat.
package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/readline"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/internal/term"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

// Session is one chat: the settings in force, the conversation, and
// the turn in progress.
type Session struct {
	IO *term.IOStreams
	// Backend describes the model for /show.
	Backend runner.Backend
	// Req holds the settings the turns run with; /set changes it.
	Req *runner.Request
	In  term.ChatInput
	// Verbose is the command's --verbose, which /set verbose and /set
	// quiet change.
	Verbose *bool
	// Humanize says an error in one line, as the command does.
	Humanize func(error) string
	// history is the conversation so far, a user and an assistant message
	// a turn.
	history []api.Message
	// setBy says where each setting the user chose came from, by its flag
	// name: "flag" or "/set". What is not there is the profile's or the
	// default.
	SetBy map[string]string
	// Run runs one turn: it shows it, logs it and returns its record.
	Run func(context.Context, *runner.Request) (*runner.Record, error)
	// Profiles are the profiles /show matches the model against.
	Profiles func() ([]models.Profile, error)

	mu       sync.Mutex
	stopTurn context.CancelFunc // the turn in progress; nil between turns
}

// interrupt stops the turn in progress; between turns it does nothing.
func (s *Session) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopTurn != nil {
		s.stopTurn()
	}
}

// Loop reads lines until /bye, Ctrl-D or the end of the input. A message
// is a line, or the lines between """ and """, or a bracketed paste.
func (s *Session) Loop(ctx context.Context) error {
	release := s.IO.Interrupt.Hold(s.interrupt)
	defer release()
	fmt.Fprintln(s.IO.ErrOut, "rein chat with "+s.Req.Model+": /? for help, Ctrl + c stops a turn, Ctrl + d or /bye leaves")
	var sb strings.Builder
	multiline := false
	for {
		if ctx.Err() != nil {
			return term.ErrInterrupted // SIGTERM
		}
		s.In.SetContinue(multiline || sb.Len() > 0)
		line, err := s.In.Readline()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, readline.ErrInterrupt):
			// Ctrl-C at the prompt drops what was typed, as in ollama.
			fmt.Fprintln(s.IO.ErrOut, "\nUse Ctrl + d or /bye to exit.")
			sb.Reset()
			multiline = false
			continue
		case err != nil:
			return err
		}
		switch {
		case multiline:
			before, end := strings.CutSuffix(line, `"""`)
			sb.WriteString(before)
			if !end {
				sb.WriteString("\n")
				continue
			}
			multiline = false
		case strings.HasPrefix(line, `"""`):
			rest, end := strings.CutSuffix(strings.TrimPrefix(line, `"""`), `"""`)
			sb.WriteString(rest)
			if !end {
				sb.WriteString("\n")
				multiline = true
				continue
			}
		case s.In.Pasting():
			sb.WriteString(line + "\n")
			continue
		case sb.Len() == 0 && strings.HasPrefix(strings.TrimSpace(line), "/"):
			if s.Command(ctx, strings.TrimSpace(line)) {
				return nil
			}
			continue
		default:
			sb.WriteString(line)
		}
		prompt := strings.TrimSpace(sb.String())
		sb.Reset()
		if prompt == "" {
			continue
		}
		if err := s.turn(ctx, prompt); err != nil {
			return err
		}
	}
}

// turn runs one message with the conversation so far. Ctrl-C stops it: the
// turn is logged as interrupted and stays in the conversation with what the
// model had answered. A turn that fails is left out of it.
func (s *Session) turn(ctx context.Context, prompt string) error {
	q := *s.Req
	q.Messages = slices.Clone(s.history)
	q.Prompt = prompt
	q.RunID = ""
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.stopTurn = cancel
	s.mu.Unlock()
	rec, err := s.Run(tctx, &q)
	s.mu.Lock()
	s.stopTurn = nil
	s.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		return term.ErrInterrupted // SIGTERM ends the chat; the turn is logged
	case errors.Is(err, term.ErrInterrupted):
		// Ctrl-C: the prompt comes back.
	case err != nil:
		fmt.Fprintln(s.IO.ErrOut, "rein: "+s.Humanize(err))
		return nil
	}
	answer := ""
	if rec != nil {
		answer = rec.Answer
	}
	s.history = append(s.history, api.Message{Role: "user", Content: prompt}, api.Message{Role: "assistant", Content: answer})
	return nil
}

// Command runs a /command; it reports whether the chat is over (/bye).
func (s *Session) Command(ctx context.Context, line string) (bye bool) {
	name, args, _ := strings.Cut(line, " ")
	args = strings.TrimSpace(args)
	switch name {
	case "/bye", "/exit":
		return true
	case "/help", "/?":
		if args == "shortcuts" {
			fmt.Fprint(s.IO.ErrOut, chatShortcuts)
		} else {
			fmt.Fprint(s.IO.ErrOut, chatHelp)
		}
	case "/set":
		s.set(args)
	case "/show":
		if args != "" {
			fmt.Fprintln(s.IO.ErrOut, "rein: /show takes nothing: it shows the model, its profile and the budgets in force")
			break
		}
		s.show(ctx)
	case "/clear":
		s.history = nil
		fmt.Fprintln(s.IO.ErrOut, "Cleared session context.")
	default:
		fmt.Fprintf(s.IO.ErrOut, "rein: unknown command %s: type /? for help\n", name)
	}
	return false
}

const chatHelp = `Available commands:
  /set KEY VALUE   Set a budget or setting for the next turns (/set alone lists them)
  /set verbose     Print timings and figures after each turn (/set quiet: stop)
  /show            Show the model, its profile and the budgets in force, and where each came from
  /clear           Clear the conversation
  /bye             Exit (Ctrl + d too)
  /?, /help        This help
  /? shortcuts     Help for keyboard shortcuts

Use """ to begin a multi-line message.
Ctrl + c stops the model's turn; the conversation goes on.

`

const chatShortcuts = `Available keyboard shortcuts:
  Ctrl + a            Move to the beginning of the line (Home)
  Ctrl + e            Move to the end of the line (End)
   Alt + b            Move back (left) one word
   Alt + f            Move forward (right) one word
  Ctrl + k            Delete the sentence after the cursor
  Ctrl + u            Delete the sentence before the cursor
  Ctrl + w            Delete the word before the cursor
  Up, Down            The lines typed before

  Ctrl + l            Clear the screen
  Ctrl + c            Stop the model's turn
  Ctrl + d            Exit (/bye)

`

const chatSetUsage = `Usage: /set KEY VALUE, for the turns that follow (/show shows what is in force):
  budgets   max-steps N, max-think-tokens N, max-think-time D, max-answer-tokens N,
            min-steps N, loop K, on-limit answer|stop, step-split MODE, budget-message TEXT
  model     think true|false|low|medium|high, max-tokens N, temperature T, seed N,
            num-ctx N, system TEXT
  output    /set verbose (figures after each turn), /set quiet

`

// set handles /set and says what it set.
func (s *Session) set(args string) {
	key, val, _ := strings.Cut(args, " ")
	val = strings.TrimSpace(val)
	switch key {
	case "":
		fmt.Fprint(s.IO.ErrOut, chatSetUsage)
		return
	case "verbose", "quiet":
		if val != "" {
			fmt.Fprintf(s.IO.ErrOut, "rein: /set %s takes no value\n", key)
			return
		}
		*s.Verbose = key == "verbose"
		fmt.Fprintf(s.IO.ErrOut, "Set '%s' mode.\n", key)
		return
	}
	if err := ApplySet(s.Req, args); err != nil {
		fmt.Fprintln(s.IO.ErrOut, "rein: "+err.Error())
		return
	}
	s.SetBy[key] = "/set"
	switch key {
	case "system":
		fmt.Fprintln(s.IO.ErrOut, "Set system message.")
	case "budget-message":
		fmt.Fprintln(s.IO.ErrOut, "Set budget message.")
	default:
		fmt.Fprintf(s.IO.ErrOut, "Set %s to %s.\n", key, val)
	}
}

// setKeys are the keys /set takes: every budget's flag name (budget.Names)
// and the model's settings.
var setKeys = strings.Join(append(budget.Keys(budget.ByFlag), "think", "temperature", "seed", "num-ctx", "system"), ", ")

// ApplySet handles "/set KEY VALUE" (args is what follows /set). The value
// of system and budget-message is the rest of the line; the others take
// one word, as the flags of the same names do.
func ApplySet(req *runner.Request, args string) error {
	key, val, _ := strings.Cut(args, " ")
	val = strings.TrimSpace(val)
	if key == "" || val == "" {
		return fmt.Errorf("usage: /set KEY VALUE, KEY one of %s", setKeys)
	}
	if key != "system" && key != "budget-message" && strings.ContainsAny(val, " \t") {
		return fmt.Errorf("/set %s takes one value, not %q", key, val)
	}
	if n, ok := budget.Lookup(key, budget.ByFlag); ok {
		if key == "budget-message" {
			val = strings.ReplaceAll(val, `\n`, "\n")
		}
		b := req.Budgets // a value chosen here, 0 too, beats the profile's
		if err := n.Parse(&b, val); err != nil {
			return fmt.Errorf("/set %s: %v", key, err)
		}
		if err := b.Validate(nil); err != nil {
			return fmt.Errorf("/set %s: %v", key, err)
		}
		req.Budgets = b
		return nil
	}
	switch key {
	case "num-ctx":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return fmt.Errorf("/set %s: want a number ≥ 0, not %q", key, val)
		}
		req.NumCtx = n
	case "think":
		on, level, err := models.ParseThink(val)
		if err != nil {
			return err
		}
		req.Think, req.ThinkLevel = &on, level
	case "temperature":
		t, err := strconv.ParseFloat(val, 64)
		if err != nil || t < 0 {
			return fmt.Errorf("/set temperature: want a number ≥ 0, not %q", val)
		}
		req.Temperature = &t
	case "seed":
		n, err := strconv.Atoi(val)
		if err != nil {
			return fmt.Errorf("/set seed: want a whole number, not %q", val)
		}
		req.Seed = &n
	case "system":
		req.System = val
	default:
		return fmt.Errorf("/set: unknown key %q: one of %s", key, setKeys)
	}
	return nil
}
