package runner

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/format"

	"github.com/rein-dev/rein/models"
)

// The context of a run (num_ctx) follows the policy of models.ContextSize:
// the caller's size when it pins one, else the context the model is loaded
// with when that holds the run, else the smallest standard size that holds
// it. A new num_ctx makes Ollama load the model again, so runs of one
// configuration share one size, and a size that holds the run is never
// changed. The thinking stops where only the answer room is left
// (contextBound), so a run that fills its context is cut (reason tokens)
// and answers, and never overflows it.

// Where a run's num_ctx came from (Budgets.NumCtxSource).
const (
	// CtxFlag: the request's NumCtx (--num-ctx, /set num-ctx).
	CtxFlag = "flag"
	// CtxOption: a num_ctx option, the request's (--option num_ctx=N) or
	// the caller's profile's.
	CtxOption = "option"
	// CtxProfile: num_ctx in the user's profile file (the built-in
	// profiles' values are recommendations, not pins).
	CtxProfile = "profile"
	// CtxLoaded: the context the model is loaded with (/api/ps).
	CtxLoaded = "loaded"
	// CtxRemembered: the model is loaded, /api/ps does not say with what
	// context, and rein's state holds the size it last chose for it.
	CtxRemembered = "remembered"
	// CtxSized: a standard size for the prompt and the budgets.
	CtxSized = "sized"
)

// ctxSlack is the room an answer pass leaves at the end of the context,
// for a count off by a token or two: the server must stop on num_predict,
// never at a full context, where it would shift on servers that fix shift
// at load.
const ctxSlack = 16

// ContextConfig configures the context policy for a Runner.
type ContextConfig struct {
	// KVCacheType is the server's OLLAMA_KV_CACHE_TYPE when the caller
	// knows it (a server it started); "" means f16, Ollama's default.
	KVCacheType string
	// State remembers the sizes chosen for each model on the server and
	// the VRAM it reported; nil keeps nothing.
	State *ContextState
	// Warn, when set, receives the memory warning before the run starts
	// (it is in the record's warnings too), for display.
	Warn func(msg string)
}

// contextPlan is the context of a run and what it costs.
type contextPlan struct {
	numCtx      int
	source      string
	train       int   // training context, 0 unknown
	need        int   // tokens the run needs (a bound: prompt bytes)
	thinkRoom   int   // the thinking room the need counts
	promptBytes int   // bounds the prompt's tokens before the server counts them
	answerRoom  int   // what a thinking pass leaves: the answer and the text of a cut
	kvPerToken  int64 // KV cache bytes per token of context, 0 unknown
}

// planContext picks the run's num_ctx (see the policy above) and warns when
// the model and that context would not fit the VRAM the server reported.
func (rn *run) planContext(ctx context.Context, show *api.ShowResponse, promptBytes int) {
	q := rn.req
	p := &rn.cplan
	p.train = contextLength(show.ModelInfo)
	p.promptBytes = promptBytes
	p.kvPerToken = models.KVBytesPerToken(show.ModelInfo, rn.r.Context.KVCacheType)
	cut := len(rn.budgetMsg) + len(rn.prof.ThinkClose)
	p.answerRoom = cmp.Or(rn.lim.MaxAnswerTokens, models.DefaultAnswerRoom) + cut
	extra := promptBytes + cut
	if rn.lim.MinSteps > 0 {
		extra += len(waitText) * min(rn.lim.MinSteps, maxWaitPasses)
	}
	if rn.thinkOn {
		p.thinkRoom = cmp.Or(rn.lim.MaxThinkTokens, models.DefaultThinkRoom)
	}
	p.need = extra + models.ContextRoom(rn.thinkOn, rn.lim.MaxThinkTokens, rn.lim.MaxAnswerTokens, rn.maxTokens)

	var ps *api.ProcessResponse
	switch {
	case q.NumCtx > 0:
		p.numCtx, p.source = q.NumCtx, CtxFlag
	case toInt(rn.opts["num_ctx"]) > 0:
		p.numCtx, p.source = toInt(rn.opts["num_ctx"]), CtxOption
	case q.Profile == nil && rn.profileNumCtx(show) > 0:
		p.numCtx, p.source = rn.profileNumCtx(show), CtxProfile
	default:
		var loaded int
		loaded, p.source, ps = rn.loadedContext(ctx)
		if loaded >= p.need {
			p.numCtx = loaded
			break
		}
		p.numCtx, p.source = models.ContextSize(p.need, p.train), CtxSized
		// Only budgets the caller chose are worth a warning; the default
		// rooms simply get what the training context has.
		chosen := rn.lim.MaxThinkTokens > 0 || rn.lim.MaxAnswerTokens > 0 || (rn.lim.MaxTokens > 0 && rn.lim.MaxTokens != DefaultMaxTokens)
		if p.train > 0 && p.need > p.train && chosen {
			rn.warnf("context: the run may need %d tokens but the model's context is %d; the thinking is cut where it ends", p.need, p.train)
		}
	}
	if st := rn.r.Context.State; st != nil {
		if err := st.Remember(q.Model, p.numCtx); err != nil {
			rn.warnf("context state: %v", err)
		}
	}
	rn.checkMemory(ctx, ps)
}

// kvBytes is the KV cache of the run's context, 0 when not known.
func (p *contextPlan) kvBytes() int64 { return p.kvPerToken * int64(p.numCtx) }

// profileNumCtx returns the num_ctx that the user's profile file sets for
// the model, 0 for none: the built-in profiles' values (and what a user
// profile inherits of them) are recommendations, not pins.
func (rn *run) profileNumCtx(show *api.ShowResponse) int {
	profiles := rn.r.Profiles
	if profiles == nil {
		return 0
	}
	mp := models.Match(rn.req.Model, show, profiles)
	n := toInt(mp.Options["num_ctx"])
	if n <= 0 || mp.Source == models.SourceBuiltin {
		return 0
	}
	for _, b := range models.Builtins() {
		if b.Name == mp.Name && toInt(b.Options["num_ctx"]) == n {
			return 0
		}
	}
	return n
}

// loadedContext returns the context the model is loaded with, where that
// came from, and the server's list of loaded models (nil when it could not
// be read). 0 means not loaded, or loaded with a context nobody knows.
func (rn *run) loadedContext(ctx context.Context) (int, string, *api.ProcessResponse) {
	rl, ok := rn.r.Backend.(RunningLister)
	if !ok {
		return 0, "", nil
	}
	pctx, cancel := context.WithTimeout(ctx, psTimeout)
	defer cancel()
	ps, err := rl.ListRunning(pctx)
	if err != nil || ps == nil {
		return 0, "", nil
	}
	m, ok := running(ps, rn.req.Model)
	switch {
	case !ok:
		return 0, "", ps
	case m.ContextLength > 0:
		return m.ContextLength, CtxLoaded, ps
	}
	if st := rn.r.Context.State; st != nil {
		if n := st.Last(rn.req.Model); n > 0 {
			return n, CtxRemembered, ps
		}
	}
	return 0, "", ps
}

// contextLeft returns the tokens of the context that the next pass's prompt
// leaves free.
func (rn *run) contextLeft() int {
	used := rn.ctxTokens
	if used <= 0 {
		// The chat path, counts that are not exact, or no pass counted
		// yet: the prompt as the server counted it (or its bytes, which
		// bound its tokens), and the tokens kept since.
		used = rn.cplan.promptBytes
		for _, p := range rn.rec.Passes {
			if p.PromptEvalCount > 0 {
				used = p.PromptEvalCount
				break
			}
		}
		used += rn.keptN
	}
	return rn.numCtx - used
}

// contextBound bounds np, the num_predict of a pass of kind, by the
// context: a thinking pass stops where only the answer room is left (at
// least one token, so that the pass ends with done reason "length" and the
// run is cut for tokens and answers), an answer pass short of the
// context's end. A budget that already ended the pass (np ≤ 0) stays so.
func (rn *run) contextBound(np int, kind string, thinking bool) int {
	if np <= 0 || rn.numCtx <= 0 {
		return np
	}
	left := rn.contextLeft()
	if !thinking {
		if kind == PassResume {
			// The text of the cut, which no count holds yet.
			left -= len(rn.budgetMsg) + len(rn.prof.ThinkClose)
		}
		return min(np, max(left-ctxSlack, 0))
	}
	prompt := rn.numCtx - left - rn.keptN
	room := min(rn.cplan.answerRoom, max(rn.numCtx-prompt, 0)/2)
	return min(np, max(left-room-ctxSlack, 1))
}

// warnedMemory holds the memory warnings given in this process, so that a
// chat, whose turns are runs, warns once.
var warnedMemory sync.Map // model + num_ctx -> true

// checkMemory warns, once per model and context in the process, when the
// model's weights and KV cache would not fit the VRAM the server reported:
// the sum of size_vram over its loaded models when one of them runs partly
// on the CPU (the GPU was full), else what the state remembers of such a
// report. A server that reported none gets no warning.
func (rn *run) checkMemory(ctx context.Context, ps *api.ProcessResponse) {
	p := &rn.cplan
	if p.kvPerToken <= 0 {
		return
	}
	st := rn.r.Context.State
	var vram int64
	full := false
	var self *api.ProcessModelResponse
	if ps != nil {
		for i, m := range ps.Models {
			vram += m.SizeVRAM
			full = full || (m.SizeVRAM > 0 && m.SizeVRAM < m.Size)
			if modelKey(m.Name) == modelKey(rn.req.Model) || modelKey(m.Model) == modelKey(rn.req.Model) {
				self = &ps.Models[i]
			}
		}
	}
	if full && st != nil {
		_ = st.RememberVRAM(vram) // best effort: the figure is a hint
	}
	if !full {
		vram = 0
		if st != nil {
			vram = st.VRAM()
		}
	}
	if vram <= 0 {
		return
	}
	// The memory besides the KV cache: the loaded model's size less its
	// cache, else the weights' size on disk.
	var fixed int64
	if self != nil && self.ContextLength > 0 {
		fixed = self.Size - p.kvPerToken*int64(self.ContextLength)
	} else if l, ok := rn.r.Backend.(Lister); ok {
		fixed = weightsSize(ctx, l, rn.req.Model)
	}
	if fixed <= 0 || fixed+p.kvBytes() <= vram {
		return
	}
	key := fmt.Sprintf("%s|%d", modelKey(rn.req.Model), p.numCtx)
	if _, done := warnedMemory.LoadOrStore(key, true); done {
		return
	}
	msg := fmt.Sprintf("memory: %s with a %d-token context needs about %s (weights %s, KV cache %s), more than the %s of VRAM the server reported; ",
		rn.req.Model, p.numCtx, format.HumanBytes(fixed+p.kvBytes()), format.HumanBytes(fixed), format.HumanBytes(p.kvBytes()), format.HumanBytes(vram))
	msg += fitAdvice(p, fixed, vram)
	rn.warnf("%s", msg)
	if w := rn.r.Context.Warn; w != nil {
		w(msg)
	}
}

// fitAdvice says which context, and which thinking budget, would fit.
func fitAdvice(p *contextPlan, fixed, vram int64) string {
	fit := 0
	for _, n := range models.ContextSizes(cmp.Or(p.train, p.numCtx)) {
		if n < p.numCtx && fixed+p.kvPerToken*int64(n) <= vram {
			fit = n
		}
	}
	if fit == 0 {
		return "the model runs partly on the CPU at any context"
	}
	s := fmt.Sprintf("--num-ctx %d fits (KV cache %s)", fit, format.HumanBytes(p.kvPerToken*int64(fit)))
	if think := fit - (p.need - p.thinkRoom); p.thinkRoom > 0 && think > 0 {
		s += fmt.Sprintf(", as does --max-think-tokens %d", think)
	}
	return s
}

// weightsSize is the model's size in the server's list, 0 if absent.
func weightsSize(ctx context.Context, l Lister, name string) int64 {
	list, err := l.List(ctx)
	if err != nil || list == nil {
		return 0
	}
	for _, m := range list.Models {
		if modelKey(m.Name) == modelKey(name) || modelKey(m.Model) == modelKey(name) {
			return m.Size
		}
	}
	return 0
}

// ContextState keeps, in one small JSON file per server, the context rein
// last chose for each model and the VRAM the server last reported (see
// checkMemory). Writes are merged into what the file holds and atomic (a
// temporary file renamed), so runs that share the file keep each other's
// entries.
type ContextState struct {
	Path string
}

// ContextStateFile is the state's file name for a server: the host with
// every character but letters, digits, '.' and '-' made '_'.
func ContextStateFile(host string) string {
	var b strings.Builder
	for _, r := range host {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return cmp.Or(b.String(), "default") + ".json"
}

// NewContextState returns the state of the server at host, kept under dir
// (a contexts folder in rein's state folder, say); nil when dir is "".
func NewContextState(dir, host string) *ContextState {
	if dir == "" {
		return nil
	}
	return &ContextState{Path: filepath.Join(dir, ContextStateFile(host))}
}

// contextFile is the file's contents.
type contextFile struct {
	Models map[string]contextEntry `json:"models"`
	// VRAMBytes is the GPU memory the server last reported (the size_vram
	// of its loaded models when one ran partly on the CPU).
	VRAMBytes int64 `json:"vram_bytes,omitempty"`
}

type contextEntry struct {
	NumCtx int       `json:"num_ctx"`
	Time   time.Time `json:"time"`
}

// contextStateMu serialises the writes of this process.
var contextStateMu sync.Mutex

func (s *ContextState) read() contextFile {
	f := contextFile{}
	if b, err := os.ReadFile(s.Path); err == nil {
		_ = json.Unmarshal(b, &f) // a damaged file is an empty one
	}
	if f.Models == nil {
		f.Models = map[string]contextEntry{}
	}
	return f
}

// Last returns the context last chosen for model, 0 when none.
func (s *ContextState) Last(model string) int {
	if s == nil {
		return 0
	}
	contextStateMu.Lock()
	defer contextStateMu.Unlock()
	return s.read().Models[modelKey(model)].NumCtx
}

// VRAM returns the VRAM the server last reported, 0 when none.
func (s *ContextState) VRAM() int64 {
	if s == nil {
		return 0
	}
	contextStateMu.Lock()
	defer contextStateMu.Unlock()
	return s.read().VRAMBytes
}

// Remember records numCtx as the context chosen for model; the file is
// written only when that changes.
func (s *ContextState) Remember(model string, numCtx int) error {
	return s.update(func(f *contextFile) bool {
		k := modelKey(model)
		if f.Models[k].NumCtx == numCtx {
			return false
		}
		f.Models[k] = contextEntry{NumCtx: numCtx, Time: time.Now().UTC()}
		return true
	})
}

// RememberVRAM records the VRAM the server reported.
func (s *ContextState) RememberVRAM(b int64) error {
	return s.update(func(f *contextFile) bool {
		if f.VRAMBytes == b {
			return false
		}
		f.VRAMBytes = b
		return true
	})
}

// update applies change to the file's contents and writes them back when
// it reports a change.
func (s *ContextState) update(change func(*contextFile) bool) error {
	if s == nil || s.Path == "" {
		return nil
	}
	contextStateMu.Lock()
	defer contextStateMu.Unlock()
	f := s.read()
	if !change(&f) {
		return nil
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(s.Path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.Path)
}
