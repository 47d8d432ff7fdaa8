package runner

// Early exit by answer probes (Dynasor-CoT's Certaindex, DEER): every
// ProbeEvery steps, at a step boundary the server ended, rein asks for a
// trial answer on the cached prefix (the prompt, the trace so far, the
// closing tag and the profile's answer lead-in), at most ProbeTokens tokens
// that the server ends by num_predict. The thinking is cut as "settled"
// once ExitOnAgreement probes in a row give the same answer (after the
// answer key, consensus.Normalise where the caller sets it), or once a
// probe's mean token probability reaches ExitOnConfidence. The final
// answer comes from the usual resume. A probe never abandons a stream, and
// the thinking goes on from the cached prefix: the server's cache holds the
// trace, which the probe's prompt began with.

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/rein-dev/rein/budget"
	"github.com/rein-dev/rein/hooks"
)

// PassProbe is a trial answer in the middle of the thinking.
const PassProbe = "probe"

// Probe defaults, for a request that asks for probes and leaves these
// unset (defined in package budget).
const (
	DefaultProbeEvery  = budget.DefaultProbeEvery
	DefaultProbeTokens = budget.DefaultProbeTokens
)

// Probe is one trial answer, as the record lists it.
type Probe struct {
	// Step is the number of steps finished when the probe ran.
	Step   int    `json:"step"`
	Answer string `json:"answer"`
	// Key is the answer as compared for agreement.
	Key string `json:"key"`
	// Confidence is the mean token probability of the answer, from
	// logprobs (0 when the server sent none).
	Confidence float64 `json:"confidence"`
	Tokens     int     `json:"tokens"`
	MS         float64 `json:"ms"`
}

// probing reports whether the run probes.
func (rn *run) probing() bool {
	return rn.thinkOn && !rn.chat && (rn.lim.ExitOnAgreement > 0 || rn.lim.ExitOnConfidence > 0)
}

// probeDue reports whether a probe runs at this step boundary.
func (rn *run) probeDue() bool {
	if !rn.probing() || rn.steps == 0 || rn.steps == rn.probedAt {
		return false
	}
	every := rn.lim.ProbeEvery
	if every <= 0 {
		every = DefaultProbeEvery
	}
	return rn.steps%every == 0
}

// probeAnswer runs one trial answer and reports whether the answer has settled.
func (rn *run) probeAnswer(ctx context.Context) (bool, error) {
	rn.probedAt = rn.steps
	n := rn.lim.ProbeTokens
	if n <= 0 {
		n = DefaultProbeTokens
	}
	opts := rn.passOptions(n)
	delete(opts, "stop")
	req := rn.generateRequest(opts)
	req.Prompt = rn.prompt + string(rn.gen) + rn.prof.ThinkClose + rn.prof.ProbeLead
	rn.rec.Passes = append(rn.rec.Passes, Pass{Kind: PassProbe, NumPredict: n})
	p := &rn.rec.Passes[len(rn.rec.Passes)-1]
	sent := rn.r.now()
	var text strings.Builder
	var sum float64
	var lps int
	done := false
	err := rn.generate(ctx, req, func(resp api.GenerateResponse) error {
		text.WriteString(resp.Response)
		for _, lp := range resp.Logprobs {
			sum += math.Exp(lp.Logprob)
			lps++
		}
		if resp.Done {
			done = true
			setServerFigures(p, resp.Metrics, resp.DoneReason)
		}
		return nil
	})
	p.WallMS = ms(rn.r.now().Sub(sent))
	switch {
	case ctx.Err() != nil:
		return false, ctx.Err()
	case err != nil:
		return false, fmt.Errorf("probe: %w", err)
	case !done:
		return false, fmt.Errorf("probe: %w", errNoFinalChunk)
	}
	p.Tokens = p.EvalCount
	answer := strings.TrimSpace(text.String())
	if i := strings.IndexByte(answer, '\n'); i >= 0 {
		answer = strings.TrimSpace(answer[:i])
	}
	pr := Probe{Step: rn.steps, Answer: answer, Key: rn.answerKey(answer), Tokens: p.EvalCount, MS: p.WallMS}
	if lps > 0 {
		pr.Confidence = sum / float64(lps)
	}
	rn.rec.Probes = append(rn.rec.Probes, pr)
	rn.seq++
	rn.chain.OnEvent(ctx, &hooks.Event{
		Kind: hooks.KindProbe, RunID: rn.rec.RunID, Seq: rn.seq, Elapsed: rn.elapsed(), ElapsedMS: ms(rn.elapsed()),
		Phase: hooks.PhaseThinking, Text: answer, ThinkingTokens: rn.thinkN, Steps: rn.steps, Step: rn.steps,
		Confidence: pr.Confidence,
	})
	// The server's cache now ends with the probe: the next pass sends the
	// trace again, whose tokens the cache holds, and evaluates one.
	rn.uncached = 0
	return rn.settled(), nil
}

// settled reports whether the probes so far say the answer has settled.
func (rn *run) settled() bool {
	ps := rn.rec.Probes
	if len(ps) == 0 {
		return false
	}
	last := ps[len(ps)-1]
	if rn.lim.ExitOnConfidence > 0 && last.Key != "" && last.Confidence >= rn.lim.ExitOnConfidence {
		return true
	}
	k := rn.lim.ExitOnAgreement
	if k <= 0 || len(ps) < k {
		return false
	}
	for _, p := range ps[len(ps)-k:] {
		if p.Key == "" || p.Key != last.Key {
			return false
		}
	}
	return true
}

// answerKey is what probes are compared by: the request's ProbeKey
// (consensus.Normalise, as rein's commands set it), else the answer in
// lower case with its spaces collapsed.
func (rn *run) answerKey(answer string) string {
	if f := rn.req.ProbeKey; f != nil {
		return f(answer)
	}
	return strings.Join(strings.Fields(strings.ToLower(answer)), " ")
}
