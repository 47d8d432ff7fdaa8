package runner

import (
	"time"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/hooks"
)

// Record is everything about one run. Its JSON is the run record that rein
// appends to its logs and that `rein run --json` prints.
type Record struct {
	RunID string `json:"run_id"`
	// Time is when the run started.
	Time     time.Time `json:"time"`
	Model    string    `json:"model"`
	Prompt   string    `json:"prompt"`
	Thinking string    `json:"thinking"`
	Answer   string    `json:"answer"`
	// Steps is the number of thinking steps that finished.
	Steps int `json:"steps"`
	Ending
	// TokenMS is the arrival time of each thinking and answer token, in
	// milliseconds since the run's clock started (see Metrics).
	TokenMS []float64 `json:"token_ms"`
	Metrics Metrics   `json:"metrics"`
	// Hardware describes the machine; filled by the caller.
	Hardware      map[string]any `json:"hardware"`
	ModelDigest   string         `json:"model_digest"`
	OllamaVersion string         `json:"ollama_version"`
	Error         string         `json:"error"`

	// ToolCalls are the tool calls the model made (chat path only).
	ToolCalls []api.ToolCall `json:"tool_calls,omitempty"`

	// Languages are the detected languages (ISO 639-1) of the prompt, the
	// thinking and the answer; "" where a text is too short or has no
	// language ("42"). LanguageConsistent is Languages.Consistent(): every
	// detected language is the same, ignoring "".
	Languages          hooks.Languages `json:"languages"`
	LanguageConsistent bool            `json:"language_consistent"`
	// LanguageSwitch is the sequence of languages the thinking went
	// through, such as "en→zh", when a LanguageSwitch hook saw it change;
	// filled by the caller that ran the hook.
	LanguageSwitch string `json:"language_switch,omitempty"`
	// Consensus is set on the record of a consensus run: the winning
	// chain's record, with the vote and every chain's record.
	Consensus *Consensus `json:"consensus,omitempty"`

	// Probes are the trial answers of an early exit (probe.go), in order.
	Probes []Probe `json:"probes,omitempty"`

	Budgets  Budgets  `json:"budgets"`
	Passes   []Pass   `json:"passes"`
	Warnings []string `json:"warnings,omitempty"`
}

// Ending says how a run ended: its cut, and the server's last word.
type Ending struct {
	// CutReason is one of the hooks.Reason* values; "" when the thinking
	// was not cut.
	CutReason string `json:"cut_reason"`
	// CutDetail is the hook's own words for its cut or abort
	// (hooks.Decision.Detail), such as an external hook's reason.
	CutDetail string `json:"cut_detail,omitempty"`
	// DoneReason is the server's done_reason for the last pass ("stop",
	// "length"); "stop" as well when the answer ended at a reopened
	// thinking tag, and "" when the last pass was cancelled.
	DoneReason string `json:"done_reason"`
	// LoopRepeats and LoopSignal describe a loop cut.
	LoopRepeats int    `json:"loop_repeats"`
	LoopSignal  string `json:"loop_signal,omitempty"`
}

// Metrics are the run's figures; the JSON keys are the metric names used
// in logs and reports. Times are in milliseconds. A figure that is not
// known is 0. Each is defined once, in figures.go, and `rein run
// --verbose`, `rein report` and the proxy read them from here.
//
// The figures named after Ollama's keep Ollama's meaning over the whole
// run, whatever its passes: LoadMS, PromptTokens and PromptMS are the
// first request's (the one that loads the model and reads the prompt),
// EvalCount and EvalMS add up every pass, and WallMS is Ollama's
// total_duration as the user sees it. For a run that was not cut the
// counts are those Ollama reports for the same request made directly.
//
// TTFTMS, TTFAMS and WallMS count from the request (Record.Time), as the
// user waits: load and prompt evaluation included. Record.TokenMS and
// hook events count from the run's clock, which starts ClockMS later,
// when the first generation pass is sent.
type Metrics struct {
	// LoadMS is the server's load_duration for the first request.
	LoadMS float64 `json:"load_ms"`
	// PromptTokens and PromptMS are the server's prompt_eval_count and
	// prompt_eval_duration for the first request; PrefillTPS their rate
	// (Ollama's prompt eval rate).
	PromptTokens int     `json:"prompt_tokens"`
	PromptMS     float64 `json:"prompt_ms"`
	PrefillTPS   float64 `json:"prefill_tps"`
	// TTFTMS and TTFAMS are the times from the request to the first token
	// (thinking or answer) and to the first answer token; TTFAMS is 0
	// when there is no answer.
	TTFTMS float64 `json:"ttft_ms"`
	TTFAMS float64 `json:"ttfa_ms"`
	// ClockMS is when the run's clock started, after the request: the time
	// spent before the first generation pass was sent (the model's
	// description and, where the run needs one, the prefill pass).
	ClockMS float64 `json:"clock_ms"`
	// ThinkingTokens excludes the tag tokens.
	ThinkingTokens int     `json:"thinking_tokens"`
	ThinkingMS     float64 `json:"thinking_ms"`
	ThinkingTPS    float64 `json:"thinking_tps"`
	AnswerTokens   int     `json:"answer_tokens"`
	AnswerMS       float64 `json:"answer_ms"`
	AnswerTPS      float64 `json:"answer_tps"`
	// EvalCount is every token the server generated for the run, those
	// thrown away after a cut included (not the prefill pass's one token,
	// which the first pass generates again); EvalMS the generation time of
	// all passes; EvalTPS is EvalCount/EvalMS (Ollama's eval rate). A pass
	// closed before its final chunk counts the tokens rein received and
	// its time on rein's clock: ClientMeasured then names the figures.
	EvalCount int     `json:"eval_count"`
	EvalMS    float64 `json:"eval_ms"`
	EvalTPS   float64 `json:"eval_tps"`
	// ClientMeasured names the figures above that hold a part measured by
	// rein rather than by the server ("eval_count", "eval_ms"); absent
	// when the server measured them all.
	ClientMeasured []string `json:"client_measured,omitempty"`
	// OtherTokens are the generated tokens that are neither thinking,
	// answer nor wasted: the thinking tags, the white space between
	// thinking and answer, and the end-of-sequence or stop tokens that end
	// a pass, which the server does not send. EvalCount is ThinkingTokens
	// + AnswerTokens + WastedTokens + OtherTokens + ProbeTokens.
	OtherTokens int `json:"other_tokens"`
	// WallMS is the total duration: from the request to the end of the
	// last pass (Ollama's total_duration, over the whole run).
	WallMS float64 `json:"wall_ms"`
	Steps  int     `json:"steps"`
	ResumeCost
	// WastedTokens are the tokens generated after a cut point and thrown
	// away: those still coming in a pass after a hook or budget decided to
	// cut, and the closing tag and what followed it when the model closed
	// its thinking too early (min steps).
	WastedTokens int `json:"wasted_tokens"`
	// ProbeTokens and ProbeMS are what the answer probes of an early exit
	// cost (probe.go): the tokens they generated and their time, counted
	// in eval_count and wall_ms but never in the thinking's figures.
	ProbeTokens int     `json:"probe_tokens,omitempty"`
	ProbeMS     float64 `json:"probe_ms,omitempty"`
}

// ResumeCost is what the resumes cost. Resumes counts the resumes (answer
// passes after a cut): 0 for a run that was not cut, or was cut with
// on-limit stop, or stopped before the resume. The Resume* figures add up
// the resumes': the prompt tokens they sent (ResumePromptTokens), how many
// of those the server evaluated rather than took from its cache
// (ResumeEvalTokens; see Pass) and the time it took (ResumePromptMS).
// ResumeEvalSource says whether the count was measured by the server,
// counted by rein or estimated (Source*).
type ResumeCost struct {
	Resumes            int     `json:"resumes"`
	ResumePromptTokens int     `json:"resume_prompt_tokens"`
	ResumePromptMS     float64 `json:"resume_prompt_ms"`
	ResumeEvalTokens   int     `json:"resume_eval_tokens"`
	ResumeEvalSource   string  `json:"resume_eval_source,omitempty"`
}

// Budgets records the limits and settings a run was held to.
type Budgets struct {
	Think           bool    `json:"think"`
	ThinkLevel      string  `json:"think_level,omitempty"`
	MaxTokens       int     `json:"max_tokens"`
	MaxThinkTokens  int     `json:"max_think_tokens"`
	MaxThinkMS      float64 `json:"max_think_ms"`
	MaxSteps        int     `json:"max_steps"`
	MinSteps        int     `json:"min_steps"`
	MaxAnswerTokens int     `json:"max_answer_tokens"`
	Loop            int     `json:"loop"`
	// The early exit by answer probes (probe.go); 0 when off.
	ExitOnAgreement  int     `json:"exit_on_agreement,omitempty"`
	ExitOnConfidence float64 `json:"exit_on_confidence,omitempty"`
	ProbeEvery       int     `json:"probe_every,omitempty"`
	ProbeTokens      int     `json:"probe_tokens,omitempty"`
	StepMode         string  `json:"step_mode"`
	OnLimit          string  `json:"on_limit"`
	BudgetMessage    string  `json:"budget_message"`
	// ThinkPrefix and SystemNote are the request's (see Request).
	ThinkPrefix string `json:"think_prefix,omitempty"`
	SystemNote  string `json:"system_note,omitempty"`
	NumCtx      int    `json:"num_ctx"`
	// NumCtxSource says where NumCtx came from: flag, option, profile,
	// loaded, remembered or sized (the Ctx* values; see context.go).
	NumCtxSource string `json:"num_ctx_source,omitempty"`
	// KVCacheBytes estimates the KV cache of NumCtx tokens from the
	// model's metadata and the server's cache type (f16 unless known);
	// 0 when the metadata does not tell.
	KVCacheBytes int64 `json:"kv_cache_bytes,omitempty"`
	// Path is "raw" (/api/generate with raw:true) or "chat".
	Path    string         `json:"path"`
	Profile string         `json:"profile"`
	Options map[string]any `json:"options,omitempty"`
}

// Consensus describes a run made of several chains that voted on the
// answer (see package consensus). The record that holds it is the winning
// chain's, under the consensus run's own id.
type Consensus struct {
	// Answer is the winning answer, normalised: the key of Votes it won.
	Answer string `json:"answer"`
	// Votes counts the chains per normalised answer; chains with no
	// answer (failed, or nothing to extract) do not vote.
	Votes map[string]int `json:"votes"`
	// Winner is the index in Chains of the winning chain: the earliest
	// chain with the most votes.
	Winner int `json:"winner"`
	// Keys are the chains' normalised answers, in chain order.
	Keys []string `json:"keys"`
	// ReasonIn are the chains' reasoning languages ("" where the model
	// reasoned as it would), in chain order.
	ReasonIn []string `json:"reason_in"`
	// WallMS is the whole consensus run's wall time, chains in parallel.
	WallMS float64 `json:"wall_ms"`
	// Chains are the chains' own records, in chain order.
	Chains []*Record `json:"chains"`
}

// Pass kinds.
const (
	// PassPrefill loads the model and evaluates the prompt, generating one
	// token that is thrown away, so that load and prompt figures come from
	// the server even when the first generation pass is closed before its
	// final chunk. Only runs whose first pass may be closed early send it
	// (see needPrefill).
	PassPrefill = "prefill"
	// PassFirst is the first generation pass.
	PassFirst = "first"
	// PassResume answers after a cut.
	PassResume = "resume"
	// PassContinue goes on with an answer the server stopped at its token
	// limit.
	PassContinue = "continue"
	// PassWait makes the model think on after it closed its thinking with
	// fewer steps than asked for.
	PassWait = "wait"
)

// Pass is one request to the server.
type Pass struct {
	Kind string `json:"kind"`
	// NumPredict is the token limit sent to the server.
	NumPredict int `json:"num_predict"`
	// The server's figures from the final chunk; 0 when the pass was
	// cancelled before it.
	LoadMS          float64 `json:"load_ms"`
	PromptEvalCount int     `json:"prompt_eval_count"`
	PromptEvalMS    float64 `json:"prompt_eval_ms"`
	EvalCount       int     `json:"eval_count"`
	EvalMS          float64 `json:"eval_ms"`
	DoneReason      string  `json:"done_reason"`
	// Tokens counts the tokens received (from logprobs, or one per chunk
	// without them); Wasted those received after the cut point.
	Tokens int `json:"tokens"`
	Wasted int `json:"wasted"`
	// Cancelled is set when the runner closed the stream.
	Cancelled bool `json:"cancelled"`
	// ClientMeasured is set on a generation pass that ended without its
	// final chunk: its eval figures in Metrics are Tokens and WallMS.
	ClientMeasured bool `json:"client_measured,omitempty"`
	// WallMS is the pass's time on the client, from sending the request to
	// the end of its stream. For a cancelled pass, which gets no server
	// figures, it bounds the time the server spent generating.
	WallMS float64 `json:"wall_ms"`
	// ResumeEvalTokens is, for passes after the first, how many prompt
	// tokens the server had to evaluate. It is exact (ResumeEvalEstimate
	// false) when the prompt's earlier tokens are known exactly, assuming
	// the server reused its cache for them; otherwise it is estimated from
	// PromptEvalMS and the prefill pass's rate.
	ResumeEvalTokens   int  `json:"resume_eval_tokens,omitempty"`
	ResumeEvalEstimate bool `json:"resume_eval_estimate,omitempty"`
	// ResumeEvalSource says where ResumeEvalTokens comes from: SourceServer,
	// SourceCounted or SourceEstimate.
	ResumeEvalSource string `json:"resume_eval_source,omitempty"`
	// PromptCachedCount is the server's prompt_eval_cached_count, on
	// servers that send it (ServerCaps.CachedCount).
	PromptCachedCount *int `json:"prompt_eval_cached_count,omitempty"`

	// final is set when the pass's final chunk came (setServerFigures).
	final bool
}

// Where a resume's evaluated prompt tokens come from.
const (
	// SourceServer: the server's prompt_eval_cached_count (measured).
	SourceServer = "server"
	// SourceCounted: the tokens rein counted exactly (logprobs), assuming
	// the server reused its cache for the prefix it had seen.
	SourceCounted = "counted"
	// SourceEstimate: the prompt evaluation time over the prefill rate.
	SourceEstimate = "estimate"
)
