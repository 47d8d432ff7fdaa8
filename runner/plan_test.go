package runner

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
)

// TestPlan: what a run will do, from the request, the model's description
// and the profile alone, without a server.
func TestPlan(t *testing.T) {
	p := budget.Ptr[int]
	tags := Profile{Name: "qwen3", ThinkOpen: "<think>", ThinkClose: "</think>"}
	plain := Profile{Name: "llama"}
	thinkingCaps := &api.ShowResponse{Capabilities: []model.Capability{model.CapabilityCompletion, model.CapabilityThinking}}
	noCaps := &api.ShowResponse{Capabilities: []model.Capability{model.CapabilityCompletion}}
	withBudgets := func(pr Profile, b budget.Budgets) Profile { pr.Budgets = b; return pr }
	tests := []struct {
		name string
		req  Request
		show *api.ShowResponse
		prof Profile
		// want: the fields compared
		thinkOn, chat bool
		lim           func(budget.Limits) bool
		stepMode      hooks.StepMode
		warn          string // a substring of the one warning; "" for none
		err           string
	}{
		{name: "defaults", req: Request{Model: "m"}, show: noCaps, prof: tags, thinkOn: true,
			lim: func(l budget.Limits) bool {
				return l.Loop == budget.DefaultLoop && l.MaxTokens == budget.DefaultMaxTokens && l.OnLimit == OnLimitAnswer && l.MaxSteps == 0
			}, stepMode: hooks.StepParagraph},
		{name: "the request wins, the profile fills", req: Request{Model: "m", Budgets: budget.Budgets{MaxSteps: p(2)}}, show: noCaps,
			prof: withBudgets(tags, budget.Budgets{MaxSteps: p(9), MaxThinkTokens: p(500), OnLimit: budget.Ptr(OnLimitStop)}), thinkOn: true,
			lim: func(l budget.Limits) bool {
				return l.MaxSteps == 2 && l.MaxThinkTokens == 500 && l.OnLimit == OnLimitStop
			},
			stepMode: hooks.StepParagraph},
		{name: "a chosen zero beats the profile", req: Request{Model: "m", Budgets: budget.Budgets{MaxSteps: p(0), Loop: p(0)}}, show: noCaps,
			prof: withBudgets(tags, budget.Budgets{MaxSteps: p(9), Loop: p(5)}), thinkOn: true,
			lim:      func(l budget.Limits) bool { return l.MaxSteps == 0 && l.Loop == 0 },
			stepMode: hooks.StepParagraph},
		{name: "the profile's step mode", req: Request{Model: "m"}, show: noCaps,
			prof: func() Profile { pr := tags; pr.StepMode = hooks.StepLine; return pr }(), thinkOn: true, stepMode: hooks.StepLine},
		{name: "the request's step mode", req: Request{Model: "m", Budgets: budget.Budgets{StepMode: budget.Ptr(hooks.StepSentence)}}, show: noCaps,
			prof: func() Profile { pr := tags; pr.StepMode = hooks.StepLine; return pr }(), thinkOn: true, stepMode: hooks.StepSentence},
		{name: "tools take the chat path", req: Request{Model: "m", Tools: api.Tools{{Type: "function"}}}, show: thinkingCaps,
			prof: tags, thinkOn: true, chat: true, stepMode: hooks.StepParagraph},
		{name: "thinking off with a budget", req: Request{Model: "m", Think: budget.Ptr(false), Budgets: budget.Budgets{MaxSteps: p(3)}},
			show: noCaps, prof: tags, warn: "thinking is off; budgets are ignored", stepMode: hooks.StepParagraph},
		{name: "a model that cannot think, with a budget", req: Request{Model: "m", Budgets: budget.Budgets{MaxThinkTime: budget.Ptr(time.Second)}},
			show: noCaps, prof: plain, warn: "does not think; budgets are ignored", stepMode: hooks.StepParagraph},
		{name: "think asked of a model that cannot", req: Request{Model: "m", Think: budget.Ptr(true)},
			show: noCaps, prof: plain, warn: "running without thinking", stepMode: hooks.StepParagraph},
		{name: "the default loop alone is no budget", req: Request{Model: "m"}, show: noCaps, prof: plain, stepMode: hooks.StepParagraph},
		{name: "a chosen loop is a budget", req: Request{Model: "m", Budgets: budget.Budgets{Loop: p(3)}}, show: noCaps, prof: plain,
			warn: "budgets are ignored", stepMode: hooks.StepParagraph},
		{name: "a level the family does not take", req: Request{Model: "m", ThinkLevel: "high"}, show: noCaps, prof: tags, thinkOn: true,
			warn: `takes no think level "high"`, stepMode: hooks.StepParagraph},
		{name: "min steps on the chat path", req: Request{Model: "m", Budgets: budget.Budgets{MinSteps: p(2)}}, show: thinkingCaps,
			prof: Profile{Name: "gpt-oss", Chat: true}, thinkOn: true, chat: true, warn: "min steps is not supported", stepMode: hooks.StepParagraph},
		{name: "a profile whose budgets leave no room for the answer", req: Request{Model: "m", Budgets: budget.Budgets{MaxTokens: p(100)}},
			show: noCaps, prof: withBudgets(tags, budget.Budgets{MaxAnswerTokens: p(100)}), err: "profile qwen3 budgets: max answer tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.req.Budgets.Or(budget.Budgets{})
			got, err := plan(&tt.req, tt.show, tt.prof)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.thinkOn != tt.thinkOn || got.chat != tt.chat || got.stepMode != tt.stepMode {
				t.Errorf("think %v chat %v steps %q, want %v %v %q", got.thinkOn, got.chat, got.stepMode, tt.thinkOn, tt.chat, tt.stepMode)
			}
			if tt.lim != nil && !tt.lim(got.lim) {
				t.Errorf("limits %+v", got.lim)
			}
			if got.maxTokens != got.lim.MaxTokens || got.onLimit != got.lim.OnLimit || got.budgetMsg == "" {
				t.Errorf("plan %+v", got)
			}
			switch {
			case tt.warn == "" && len(got.warnings) > 0:
				t.Errorf("warnings %q, want none", got.warnings)
			case tt.warn != "" && (len(got.warnings) != 1 || !strings.Contains(got.warnings[0], tt.warn)):
				t.Errorf("warnings %q, want one with %q", got.warnings, tt.warn)
			}
			if !reflect.DeepEqual(tt.req.Budgets, before) {
				t.Error("plan changed the request's budgets")
			}
		})
	}
}
