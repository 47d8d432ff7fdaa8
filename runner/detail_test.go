package runner

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rein-dev/rein/hooks"
)

// TestHookDetail: a hook's own words (Decision.Detail) reach the record as
// cut_detail, on a cut and on an abort, and the abort's error says them.
func TestHookDetail(t *testing.T) {
	tests := []struct {
		name    string
		action  hooks.Action
		detail  string
		wantErr string
		cut     string
	}{
		{"cut with a reason", hooks.Cut, "too repetitive", "", hooks.ReasonHook},
		{"abort with a reason", hooks.Abort, "policy says stop", "aborted by hook: policy says stop", hooks.ReasonError},
		{"abort without one", hooks.Abort, "", "aborted by hook: hook", hooks.ReasonError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, defaultModel())
			r, _ := newTestRunner(f)
			q := thinkReq()
			q.Hooks = []hooks.Hook{hooks.Func(func(_ context.Context, ev *hooks.Event) hooks.Decision {
				if ev.Kind == hooks.KindStep && ev.Step == 1 {
					return hooks.Decision{Action: tt.action, Reason: hooks.ReasonHook, Detail: tt.detail}
				}
				return hooks.Decision{}
			})}
			rec, err := r.Run(context.Background(), q)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (!errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			if rec.CutReason != tt.cut || rec.CutDetail != tt.detail {
				t.Errorf("cut %q detail %q, want %q %q", rec.CutReason, rec.CutDetail, tt.cut, tt.detail)
			}
		})
	}
}
