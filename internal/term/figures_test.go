package term

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/internal/golden"
	"github.com/rein-dev/rein/models"
	"github.com/rein-dev/rein/runner"
)

// TestFiguresGolden pins what `rein run --verbose` prints after a run.
func TestFiguresGolden(t *testing.T) {
	hw := models.HardwareInfo{GPUPercent: 52, CPUPercent: 48, Processor: "48%/52% CPU/GPU", VRAMBytes: 2_600_000_000,
		SizeBytes: 5_000_000_000, BytesPerToken: 1_200_000_000, BandwidthGBps: 1.2 * 41.5, MoE: true}
	b, _ := json.Marshal(hw)
	hwMap := map[string]any{}
	if err := json.Unmarshal(b, &hwMap); err != nil {
		t.Fatal(err)
	}
	rec := &runner.Record{
		Ending: runner.Ending{CutReason: hooks.ReasonLoop, LoopRepeats: 3, DoneReason: "stop"},
		Passes: []runner.Pass{{Kind: "first", EvalCount: 300, EvalMS: 7229}, {Kind: "resume", EvalCount: 20, EvalMS: 480}},
		Metrics: runner.Metrics{LoadMS: 1250.5, PromptTokens: 42, PromptMS: 210, PrefillTPS: 200, TTFTMS: 260, TTFAMS: 7600,
			ThinkingTokens: 300, ThinkingMS: 7229, ThinkingTPS: 41.5, AnswerTokens: 20, AnswerMS: 480, AnswerTPS: 41.67,
			EvalCount: 323, EvalMS: 7709, EvalTPS: 41.9, OtherTokens: 2, WallMS: 9100, Steps: 9,
			ResumeCost: runner.ResumeCost{Resumes: 1, ResumePromptTokens: 361, ResumePromptMS: 35, ResumeEvalTokens: 19, ResumeEvalSource: runner.SourceCounted}, WastedTokens: 1},
		Languages:          hooks.Languages{Prompt: "en", Thinking: "en", Answer: "en"},
		LanguageConsistent: true,
		Hardware:           hwMap,
		Budgets:            runner.Budgets{NumCtx: 8192, NumCtxSource: runner.CtxSized, KVCacheBytes: 8192 * 163840},
	}
	var out bytes.Buffer
	PrintFigures(&out, rec)
	got := out.String()
	golden.Check(t, "figures.golden", got)

	// Without hardware figures (a backend that cannot list models) the
	// hardware rows are left out.
	rec.Hardware = map[string]any{}
	out.Reset()
	PrintFigures(&out, rec)
	if bytes.Contains(out.Bytes(), []byte("hardware:")) || bytes.Contains(out.Bytes(), []byte("bandwidth:")) {
		t.Errorf("hardware rows without figures:\n%s", out.String())
	}
}
