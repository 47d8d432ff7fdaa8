package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/rein-dev/rein/hooks"
)

// Result is one record of a results file: the run record (issue 3's keys)
// plus the bench's keys (case, variant, budget, repeat, seed, check).
type Result struct {
	RunID       string    `json:"run_id"`
	Model       string    `json:"model"`
	Prompt      string    `json:"prompt"`
	Thinking    string    `json:"thinking"`
	Answer      string    `json:"answer"`
	Steps       int       `json:"steps"`
	CutReason   string    `json:"cut_reason"`
	DoneReason  string    `json:"done_reason"`
	LoopRepeats int       `json:"loop_repeats"`
	TokenMS     []float64 `json:"token_ms"`
	Metrics     Metrics   `json:"metrics"`
	Error       string    `json:"error"`

	Case    string       `json:"case"`
	Variant string       `json:"variant"`
	Budget  string       `json:"budget"`
	Repeat  int          `json:"repeat"`
	Seed    int          `json:"seed"`
	Check   *CheckResult `json:"check"`
	// Reasoning is the point on the reasoning axis (Job.Reasoning); absent
	// from the records of benches without the axis.
	Reasoning string `json:"reasoning,omitempty"`
	// Host is the server that ran it (host:port, or openai+URL's host),
	// as the bench's records name it.
	Host string `json:"host,omitempty"`

	// LanguageConsistent is the record's language_consistent flag, when
	// it has one (true or false; a number is read as non-zero).
	LanguageConsistent *bool `json:"-"`

	// Source is where the record was read: "FILE: record N".
	Source string `json:"-"`
}

// Metrics holds the record's metrics that reports use (DESIGN.md names).
type Metrics struct {
	LoadMS           float64 `json:"load_ms"`
	PromptTokens     float64 `json:"prompt_tokens"`
	PromptMS         float64 `json:"prompt_ms"`
	TTFTMS           float64 `json:"ttft_ms"`
	TTFAMS           float64 `json:"ttfa_ms"`
	ThinkingTokens   float64 `json:"thinking_tokens"`
	ThinkingMS       float64 `json:"thinking_ms"`
	ThinkingTPS      float64 `json:"thinking_tps"`
	AnswerTokens     float64 `json:"answer_tokens"`
	AnswerMS         float64 `json:"answer_ms"`
	AnswerTPS        float64 `json:"answer_tps"`
	EvalTPS          float64 `json:"eval_tps"`
	WallMS           float64 `json:"wall_ms"`
	ResumePromptMS   float64 `json:"resume_prompt_ms"`
	ResumeEvalTokens float64 `json:"resume_eval_tokens"`
	WastedTokens     float64 `json:"wasted_tokens"`
	// ProbeTokens and ProbeMS are the answer probes' cost (agree=K,
	// confidence=P): 0 for a run that did not probe.
	ProbeTokens float64 `json:"probe_tokens"`
	ProbeMS     float64 `json:"probe_ms"`
	// Resumes and ClockMS are absent from records rein wrote before they
	// existed: nil there (see Resumed and FirstToken).
	Resumes *float64 `json:"resumes"`
	ClockMS *float64 `json:"clock_ms"`
}

// FirstToken returns the times to the first token and to the first answer
// token as the record's metrics define them now: from the request, load and
// prompt evaluation included. Records written before clock_ms existed
// counted them from the first generation pass, after a prefill pass that
// loaded the model and read the prompt; for those the server's load and
// prompt times are added, which that pass took.
func (m Metrics) FirstToken() (ttft, ttfa float64) {
	ttft, ttfa = m.TTFTMS, m.TTFAMS
	if m.ClockMS == nil {
		if ttft > 0 {
			ttft += m.LoadMS + m.PromptMS
		}
		if ttfa > 0 {
			ttfa += m.LoadMS + m.PromptMS
		}
	}
	return ttft, ttfa
}

// Resumed reports whether the run resumed for an answer after a cut. A
// record without the resumes count resumed if it was cut and has resume
// figures.
func (r *Result) Resumed() bool {
	if n := r.Metrics.Resumes; n != nil {
		return *n > 0
	}
	m := r.Metrics
	return r.CutReason != "" && (m.ResumePromptMS > 0 || m.ResumeEvalTokens > 0)
}

// Key is the result's run key (see Key).
func (r *Result) Key() string {
	return runKey(r.Model, r.Case, r.Variant, r.Budget, r.Repeat, r.Seed, r.Reasoning)
}

// Failed reports whether the run ended in an error or an interruption:
// such a run is retried when the bench resumes and left out of reports.
func (r *Result) Failed() bool {
	return r.Error != "" || r.CutReason == hooks.ReasonInterrupted || r.CutReason == hooks.ReasonError
}

// UnmarshalJSON reads a record, and its language_consistent flag leniently.
func (r *Result) UnmarshalJSON(data []byte) error {
	type plain Result
	var aux struct {
		*plain
		LC any `json:"language_consistent"`
	}
	aux.plain = (*plain)(r)
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	switch v := aux.LC.(type) {
	case bool:
		r.LanguageConsistent = &v
	case float64:
		b := v != 0
		r.LanguageConsistent = &b
	}
	return nil
}

// LoadResults reads results files. A torn last line (a write cut short)
// and lines that are not records are skipped, with a warning. When the
// same bench run (same key) appears more than once, as after a resumed
// interruption, the last complete record wins, else the last one.
func LoadResults(paths ...string) ([]Result, []string, error) {
	var out []Result
	var warnings []string
	index := map[string]int{}
	dups := 0
	for _, path := range paths {
		n := 0
		torn, err := hooks.ReadJSONL(path, func(line []byte) error {
			n++
			var r Result
			if err := json.Unmarshal(line, &r); err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: record %d is not a run record (skipped): %v", path, n, err))
				return nil
			}
			r.Source = fmt.Sprintf("%s: record %d", path, n)
			if r.Case == "" { // not a bench record: no key to merge on
				out = append(out, r)
				return nil
			}
			k := r.Key()
			i, ok := index[k]
			switch {
			case !ok:
				index[k] = len(out)
				out = append(out, r)
			case !r.Failed() || out[i].Failed():
				dups++
				out[i] = r
			default:
				dups++
			}
			return nil
		})
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, warnings, fmt.Errorf("results %s: no such file", path)
			}
			return nil, warnings, err
		}
		if torn {
			warnings = append(warnings, fmt.Sprintf("%s: the last line is torn (a write cut short), skipped", path))
		}
	}
	if dups > 0 {
		what := fmt.Sprintf("%d runs were", dups)
		if dups == 1 {
			what = "1 run was"
		}
		warnings = append(warnings, what+" recorded more than once (as after a resumed interruption); kept the last complete record of each")
	}
	return out, warnings, nil
}
