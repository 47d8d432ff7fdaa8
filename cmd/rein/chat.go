package main

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/runner"
)

// chatLoop is the interactive chat of `rein run MODEL` with a terminal on
// stdin: every turn keeps the conversation and applies the budgets; /set
// changes them between turns.
func chatLoop(ctx context.Context, opts *RunOptions, client runner.Backend, req *runner.Request) error {
	ios := opts.IO
	in := bufio.NewScanner(ios.In)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	var history []api.Message
	fmt.Fprintln(ios.ErrOut, "rein chat with "+req.Model+": /set KEY VALUE changes a budget, /bye leaves")
	for {
		fmt.Fprint(ios.ErrOut, ">>> ")
		if !in.Scan() {
			fmt.Fprintln(ios.ErrOut)
			return in.Err()
		}
		line := strings.TrimSpace(in.Text())
		switch {
		case line == "":
			continue
		case line == "/bye" || line == "/exit":
			return nil
		case strings.HasPrefix(line, "/set"):
			if err := applySet(req, strings.Fields(line)[1:]); err != nil {
				fmt.Fprintln(ios.ErrOut, "rein: "+err.Error())
			}
			continue
		case strings.HasPrefix(line, "/"):
			fmt.Fprintln(ios.ErrOut, "rein: unknown command "+line+": try /set or /bye")
			continue
		}
		turn := *req
		turn.Messages = history
		turn.Prompt = line
		turn.RunID = ""
		rec, err := opts.runOnce(ctx, client, &turn)
		if err == errInterrupted {
			// Ctrl-C ends the turn, not the chat; a second one ends the chat.
			return err
		}
		if err != nil {
			fmt.Fprintln(ios.ErrOut, "rein: "+humanize(err))
			continue
		}
		history = append(history, api.Message{Role: "user", Content: line}, api.Message{Role: "assistant", Content: rec.Answer})
	}
}

// applySet handles "/set KEY VALUE".
func applySet(req *runner.Request, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: /set KEY VALUE (max-steps, max-think-tokens, max-think-time, max-answer-tokens, loop, min-steps, think, on-limit, step-split, temperature, system)")
	}
	key, val := args[0], args[1]
	num := func(dst *int) error {
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return fmt.Errorf("/set %s: want a number ≥ 0, not %q", key, val)
		}
		*dst = n
		return nil
	}
	switch key {
	case "max-steps":
		return num(&req.MaxSteps)
	case "max-think-tokens":
		return num(&req.MaxThinkTokens)
	case "max-answer-tokens":
		return num(&req.MaxAnswerTokens)
	case "loop":
		return num(&req.Loop)
	case "min-steps":
		return num(&req.MinSteps)
	case "max-think-time":
		d, err := time.ParseDuration(val)
		if err != nil || d < 0 {
			return fmt.Errorf("/set max-think-time: want a duration such as 30s, not %q", val)
		}
		req.MaxThinkTime = d
	case "think":
		on, level, err := parseThink(val)
		if err != nil {
			return err
		}
		req.Think, req.ThinkLevel = on, level
	case "on-limit":
		if val != runner.OnLimitAnswer && val != runner.OnLimitStop {
			return fmt.Errorf("/set on-limit: want answer or stop")
		}
		req.OnLimit = val
	case "step-split":
		m, err := hooks.ParseStepMode(val)
		if err != nil {
			return fmt.Errorf("/set step-split: %v", err)
		}
		req.StepMode = m
	case "temperature":
		t, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return fmt.Errorf("/set temperature: want a number")
		}
		req.Temperature = &t
	case "system":
		req.System = val
	default:
		return fmt.Errorf("/set: unknown key %q", key)
	}
	return nil
}
