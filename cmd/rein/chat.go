package main

import (
	"bufio"
	"context"
	"fmt"
	"slices"
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
		case line == "/set" || strings.HasPrefix(line, "/set "):
			if err := applySet(req, strings.TrimSpace(strings.TrimPrefix(line, "/set"))); err != nil {
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
			// Ctrl-C ends the chat; the turn it cut is logged.
			return err
		}
		if err != nil {
			fmt.Fprintln(ios.ErrOut, "rein: "+humanize(err))
			continue
		}
		history = append(history, api.Message{Role: "user", Content: line}, api.Message{Role: "assistant", Content: rec.Answer})
	}
}

// setKeys are the keys /set takes.
const setKeys = "max-steps, max-think-tokens, max-think-time, max-answer-tokens, min-steps, loop, think, on-limit, step-split, " +
	"budget-message, max-tokens, temperature, seed, num-ctx, system"

// applySet handles "/set KEY VALUE" (args is what follows /set). The value
// of system and budget-message is the rest of the line; the others take
// one word, as the flags of the same names do.
func applySet(req *runner.Request, args string) error {
	key, val, _ := strings.Cut(args, " ")
	val = strings.TrimSpace(val)
	if key == "" || val == "" {
		return fmt.Errorf("usage: /set KEY VALUE, KEY one of %s", setKeys)
	}
	if key != "system" && key != "budget-message" && strings.ContainsAny(val, " \t") {
		return fmt.Errorf("/set %s takes one value, not %q", key, val)
	}
	num := func(dst *int) error {
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return fmt.Errorf("/set %s: want a number ≥ 0, not %q", key, val)
		}
		*dst = n
		return nil
	}
	if slices.Contains(runner.KeepZeroNames, key) && !slices.Contains(req.KeepZero, key) {
		// A value chosen here, 0 too, beats the profile's.
		req.KeepZero = append(slices.Clone(req.KeepZero), key)
	}
	switch key {
	case "max-steps":
		return num(&req.MaxSteps)
	case "max-think-tokens":
		return num(&req.MaxThinkTokens)
	case "max-answer-tokens":
		return num(&req.MaxAnswerTokens)
	case "max-tokens":
		return num(&req.MaxTokens)
	case "num-ctx":
		return num(&req.NumCtx)
	case "loop":
		req.LoopDefault = false
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
		req.Think, req.ThinkLevel, req.ThinkDefault = on, level, false
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
	case "budget-message":
		req.BudgetMessage = unescapeNewlines(val)
	default:
		return fmt.Errorf("/set: unknown key %q: one of %s", key, setKeys)
	}
	return nil
}
