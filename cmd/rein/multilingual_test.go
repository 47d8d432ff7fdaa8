package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rein-dev/rein/consensus"
	"github.com/rein-dev/rein/hooks"
	"github.com/rein-dev/rein/models/scripted"
)

// Scripted models for the multilingual tests (issue 7), created once per
// server, apart from main_test.go's.
//
// A chain that reasons in a language follows the thinking prefix rein puts
// after the opening tag: a Continuation whose After is that prefix's
// sentence. The closing tag's successor is always the main script's answer,
// so chains that must answer differently (the consensus vote) are models
// of their own, given with --consensus-models.

// Questions and traces, by language.
var (
	mlPrompts = map[string]string{
		"en": "What is the product of six and seven? Please explain.",
		"fr": "Quel est le produit de six et sept ? Explique, s'il te plaît.",
		"es": "¿Cuál es el producto de seis y siete? Explícalo, por favor.",
		"ru": "Чему равно произведение шести и семи? Объясни, пожалуйста.",
		"zh": "六乘以七等于多少？请解释一下。",
	}
	mlThinking = map[string]string{
		"en": "\nThe user wants the product of six and seven. Multiplying six by seven gives forty-two, and a check with repeated addition confirms it.\n\n",
		"fr": "\nL'utilisateur veut le produit de six et sept. En multipliant six par sept, on obtient quarante-deux, et une vérification par addition le confirme.\n\n",
		"es": "\nEl usuario quiere el producto de seis y siete. Al multiplicar seis por siete se obtiene cuarenta y dos, y una comprobación con la suma lo confirma.\n\n",
		"ru": "\nПользователь хочет узнать произведение шести и семи. Умножая шесть на семь, получаем сорок два, и проверка сложением это подтверждает.\n\n",
		"zh": "\n用户想知道六乘以七的积。六乘以七得到四十二，用加法验算也确认了这一点。\n\n",
	}
	mlAnswer = map[string]string{
		"en": "\n\nThe product of six and seven is forty-two.",
		"fr": "\n\nLe produit de six et sept est quarante-deux.",
		"es": "\n\nEl producto de seis y siete es cuarenta y dos.",
		"ru": "\n\nОтвет: шесть умножить на семь будет сорок два.",
		"zh": "\n\n答案是四十二，六乘以七等于四十二。",
	}
	// The chains that follow each language's thinking prefix.
	mlChains = map[string]string{
		"en": "\n\nI need to multiply these numbers. Six sevens make forty-two; reversing the order agrees.\n\n",
		"fr": "\n\nIl faut multiplier ces nombres. Six fois sept font quarante-deux ; dans l'autre sens aussi.\n\n",
		"zh": "\n\n需要计算这两个数的积。六个七相加得到四十二，交换顺序结果相同。\n\n",
	}
	// The thinking of the switching model: English, then Chinese.
	mlSwitchEN = "\nThe question asks for the product of six and seven, so I should multiply carefully and show the work.\n\n" +
		"Six groups of seven objects make a total that I can count step by step: seven, fourteen, twenty-one, twenty-eight, thirty-five, forty-two.\n\n" +
		"That sequence shows the result clearly, but let me verify it another way before answering the user.\n\n" +
		"Adding seven six times gives the same value, which confirms my earlier computation without any doubt.\n\n"
	mlSwitchZH = "换一种方法来验证：七乘以六也应该得到相同的结果。\n\n" +
		"先算七乘以五等于三十五，再加上一个七，就得到最后的积。\n\n" +
		"这个结果和前面的计算完全一致，所以我很有把握。\n\n" +
		"另外，积除以六等于七，除以七等于六，这说明乘法没有出错。\n\n" +
		"我们也可以把六看成二乘以三，那么七乘以二是十四，十四再乘以三还是同样的数。\n\n" +
		"总结一下，无论用哪种方法，答案都是一样的，可以放心地给出最终答案了。\n\n"
)

// mlModels builds the specs.
func mlModels() map[string]scripted.Spec {
	ms := map[string]scripted.Spec{}
	for _, l := range []string{"en", "fr", "es", "ru", "zh"} {
		ms["ml/"+l] = scripted.Spec{Family: "qwen3", Script: scripted.Script{Thinking: mlThinking[l], Answer: mlAnswer[l]}}
	}
	ms["ml/switch"] = scripted.Spec{Family: "qwen3", Script: scripted.Script{Thinking: mlSwitchEN + mlSwitchZH, Answer: "\n\nThe product is forty-two."}}
	// One model that follows the prefix of each language; it answers in
	// Russian whatever it reasons in.
	var conts []scripted.Continuation
	for _, l := range []string{"en", "fr", "zh"} {
		conts = append(conts, scripted.Continuation{After: consensus.ReasonSentence(l), Thinking: mlChains[l]})
	}
	ms["ml/reason"] = scripted.Spec{Family: "qwen3", Script: scripted.Script{
		Thinking: "\nSix by seven. The product is forty-two.\n\n", Answer: mlAnswer["ru"],
	}, Continuations: conts}
	// Three chains for a vote, each its own model: the English chain
	// answers 41, the Chinese and French ones 42 (in digits and in words).
	for l, answer := range map[string]string{
		"en": "\n\nОтвет: получается сорок один.",
		"zh": "\n\nОтвет: получается 42.",
		"fr": "\n\nОтвет: получается сорок два.",
	} {
		ms["ml/c-"+l] = scripted.Spec{Family: "qwen3", Script: scripted.Script{Thinking: "\nHmm.\n\n", Answer: answer},
			Continuations: []scripted.Continuation{{After: consensus.ReasonSentence(l), Thinking: mlChains[l]}}}
	}
	return ms
}

var (
	mlOnce  sync.Once
	mlErr   error
	mlBuilt = map[string]*scripted.Model{}
)

// needML returns the server with the multilingual models created.
func needML(t *testing.T) {
	t.Helper()
	s := needModels(t)
	mlOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		dir, _ := os.MkdirTemp("", "rein-ml-models-*")
		defer os.RemoveAll(dir)
		for name, spec := range mlModels() {
			m, err := scripted.Build(spec)
			if err != nil {
				mlErr = fmt.Errorf("%s: %w", name, err)
				return
			}
			if err := scripted.Create(ctx, s.Client, name, m, dir); err != nil {
				mlErr = fmt.Errorf("%s: %w", name, err)
				return
			}
			mlBuilt[name] = m
		}
	})
	if mlErr != nil {
		t.Fatal(mlErr)
	}
}

// TestLangRig checks, without a server, what the server tests rely on:
// the texts are detected as their languages, and each prefix prompt ends
// on the token that leads into its chain.
func TestLangRig(t *testing.T) {
	for l, p := range mlPrompts {
		for what, text := range map[string]string{"prompt": p, "thinking": mlThinking[l], "answer": mlAnswer[l]} {
			if got := hooks.DetectLanguage(text); got != l {
				t.Errorf("%s %s detected as %q", l, what, got)
			}
		}
	}
	for name, spec := range mlModels() {
		m, err := scripted.Build(spec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range spec.Continuations {
			prompt := "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n" + c.After
			ids := m.Vocab.Encode(prompt)
			if got := m.Vocab.Decode(m.Follow(ids[len(ids)-1], 200)); !strings.HasPrefix(got, c.Thinking+"</think>") {
				t.Errorf("%s after %q: %q", name, c.After, got)
			}
		}
	}
}

// mlRecord is a run record, decoded.
type mlRecord map[string]any

func (r mlRecord) langs() [3]string {
	l, _ := r["languages"].(map[string]any)
	s := func(k string) string { v, _ := l[k].(string); return v }
	return [3]string{s("prompt"), s("thinking"), s("answer")}
}

func (r mlRecord) consistent() bool { v, _ := r["language_consistent"].(bool); return v }

func (r mlRecord) budget(k string) string {
	b, _ := r["budgets"].(map[string]any)
	v, _ := b[k].(string)
	return v
}

// TestLangDetection: every record carries the languages of its prompt,
// thinking and answer, for Russian, Chinese, French, Spanish and English
// traces on the real server.
func TestLangDetection(t *testing.T) {
	needML(t)
	for _, l := range []string{"ru", "zh", "fr", "es", "en"} {
		t.Run(l, func(t *testing.T) {
			rec, _ := runJSON(t, srv, "ml/"+l, mlPrompts[l], "--on-language-switch", "off")
			if got := mlRecord(rec).langs(); got != [3]string{l, l, l} || !mlRecord(rec).consistent() {
				t.Errorf("languages %v consistent %v, want all %s", got, mlRecord(rec).consistent(), l)
			}
			if want := strings.TrimSpace(mlThinking[l]); strings.TrimSpace(str(rec, "thinking")) != want {
				t.Errorf("thinking %q, want the script's", str(rec, "thinking"))
			}
		})
	}
	t.Run("inconsistent", func(t *testing.T) {
		rec, _ := runJSON(t, srv, "ml/zh", mlPrompts["en"])
		if got := mlRecord(rec).langs(); got != [3]string{"en", "zh", "zh"} || mlRecord(rec).consistent() {
			t.Errorf("languages %v consistent %v, want en zh zh and not consistent", got, mlRecord(rec).consistent())
		}
	})
	t.Run("no language", func(t *testing.T) {
		rec, _ := runJSON(t, srv, "ml/fr", "6*7?")
		// "6*7?" has no language: unknown (hooks.LangUnknown), and ignored.
		if got := mlRecord(rec).langs(); got != [3]string{hooks.LangUnknown, "fr", "fr"} || !mlRecord(rec).consistent() {
			t.Errorf("languages %v consistent %v, want unknown fr fr, consistent", got, mlRecord(rec).consistent())
		}
	})
}

// TestLangSwitch: thinking that goes from English to Chinese is flagged
// with one warning, or cut with --on-language-switch cut.
func TestLangSwitch(t *testing.T) {
	needML(t)
	answer := strings.TrimSpace(mlBuilt["ml/switch"].Answer())
	t.Run("warn", func(t *testing.T) {
		rec, stderr := runJSON(t, srv, "ml/switch", mlPrompts["en"])
		if n := strings.Count(stderr, "rein: warning: the thinking switched language, en→zh"); n != 1 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("stderr has %d switch warnings, want exactly one line: %q", n, stderr)
		}
		if str(rec, "language_switch") != "en→zh" || str(rec, "cut_reason") != "" || strings.TrimSpace(str(rec, "answer")) != answer {
			t.Errorf("language_switch %q cut %q, want en→zh and no cut", str(rec, "language_switch"), str(rec, "cut_reason"))
		}
		if !strings.Contains(str(rec, "thinking"), "可以放心地给出最终答案了") {
			t.Errorf("warn mode must not shorten the thinking: %q", str(rec, "thinking"))
		}
	})
	t.Run("cut", func(t *testing.T) {
		rec, stderr := runJSON(t, srv, "ml/switch", mlPrompts["en"], "--on-language-switch", "cut")
		if str(rec, "cut_reason") != "hook" || str(rec, "language_switch") != "en→zh" {
			t.Fatalf("cut %q language_switch %q, want hook and en→zh (stderr %q)", str(rec, "cut_reason"), str(rec, "language_switch"), stderr)
		}
		th := str(rec, "thinking")
		if !strings.Contains(th, "换一种方法") || strings.Contains(th, "可以放心地给出最终答案了") {
			t.Errorf("thinking %q: want the cut inside the Chinese part", th)
		}
		if strings.TrimSpace(str(rec, "answer")) != answer {
			t.Errorf("answer %q after the cut, want %q", str(rec, "answer"), answer)
		}
		if !strings.Contains(stderr, "cut there") {
			t.Errorf("stderr %q", stderr)
		}
	})
	t.Run("off", func(t *testing.T) {
		rec, stderr := runJSON(t, srv, "ml/switch", mlPrompts["en"], "--on-language-switch", "off")
		if str(rec, "language_switch") != "" || strings.Contains(stderr, "switched") {
			t.Errorf("off: language_switch %q stderr %q", str(rec, "language_switch"), stderr)
		}
		// The record still tells the thinking's language apart from the answer's.
		if got := mlRecord(rec).langs(); got[1] != "en" || got[2] != "en" {
			t.Errorf("languages %v", got)
		}
	})
	t.Run("bad value", func(t *testing.T) {
		_, stderr, code := reinRun(t, context.Background(), srv, nil, "ml/switch", "hi", "--on-language-switch", "maybe", "--no-log")
		if code != 2 || !strings.Contains(stderr, "--on-language-switch") {
			t.Errorf("exit %d stderr %q", code, stderr)
		}
	})
}

// TestReasonIn: the model reasons in the language asked for, through the
// thinking prefix, and its record says so; the answer instruction is in
// the prompt's language.
func TestReasonIn(t *testing.T) {
	needML(t)
	for _, l := range []string{"fr", "zh", "en"} {
		t.Run(l, func(t *testing.T) {
			rec, _ := runJSON(t, srv, "ml/reason", mlPrompts["ru"], "--reason-in", l)
			sentence := consensus.ReasonSentence(l)
			want := sentence + "\n\n" + strings.TrimSpace(mlChains[l])
			if got := str(rec, "thinking"); got != want {
				t.Errorf("thinking %q, want %q", got, want)
			}
			if got := mlRecord(rec).langs(); got != [3]string{"ru", l, "ru"} {
				t.Errorf("languages %v, want ru %s ru", got, l)
			}
			if mlRecord(rec).budget("think_prefix") != "\n"+sentence || mlRecord(rec).budget("system_note") != "Отвечай по-русски." {
				t.Errorf("think_prefix %q system_note %q", mlRecord(rec).budget("think_prefix"), mlRecord(rec).budget("system_note"))
			}
			if strings.TrimSpace(str(rec, "answer")) != strings.TrimSpace(mlAnswer["ru"]) {
				t.Errorf("answer %q", str(rec, "answer"))
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		rec, _ := runJSON(t, srv, "ml/reason", mlPrompts["ru"])
		if got := str(rec, "thinking"); got != "Six by seven. The product is forty-two." || mlRecord(rec).budget("think_prefix") != "" {
			t.Errorf("without --reason-in: thinking %q prefix %q", got, mlRecord(rec).budget("think_prefix"))
		}
	})
	t.Run("budget", func(t *testing.T) {
		// The prefix does not spend the thinking budget: 3 tokens of the
		// chain itself are generated before the cut.
		rec, _ := runJSON(t, srv, "ml/reason", mlPrompts["ru"], "--reason-in", "fr", "--max-think-tokens", "3")
		if str(rec, "cut_reason") != "tokens" || metric(rec, "thinking_tokens") != 3 || !strings.HasPrefix(str(rec, "thinking"), "Je vais réfléchir en français.\n\nIl faut") {
			t.Errorf("cut %q thinking tokens %v thinking %q", str(rec, "cut_reason"), metric(rec, "thinking_tokens"), str(rec, "thinking"))
		}
	})
	t.Run("unknown", func(t *testing.T) {
		_, stderr, code := reinRun(t, context.Background(), srv, nil, "ml/reason", "hi", "--reason-in", "xx", "--no-log")
		if code != 2 || !strings.Contains(stderr, "unknown language") {
			t.Errorf("exit %d stderr %q", code, stderr)
		}
	})
}

// TestConsensus: three chains, two of which agree (42 in digits and in
// words), return the majority answer and record all three chains under
// one run id, in the log too.
func TestConsensus(t *testing.T) {
	needML(t)
	log := filepath.Join(t.TempDir(), "runs.jsonl")
	args := []string{"ml/c-en", mlPrompts["ru"], "--consensus", "en,zh,fr", "--consensus-models", "ml/c-en,ml/c-zh,ml/c-fr", "--log", log}
	out, stderr, code := reinRun(t, context.Background(), srv, nil, append(args, "--verbose")...)
	if code != 0 {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	t.Logf("stderr of --verbose:\n%s", stderr)
	if strings.TrimSpace(out) != "Ответ: получается 42." {
		t.Errorf("stdout %q, want the first majority chain's answer", out)
	}
	if !strings.Contains(stderr, "consensus: 42, 2 of 3 vote(s), chain 2") || !strings.Contains(stderr, "← winner") {
		t.Errorf("vote table on stderr: %q", stderr)
	}

	recs := readLog(t, log)
	if len(recs) != 1 {
		t.Fatalf("log has %d records, want one for the whole consensus", len(recs))
	}
	rec, _ := runJSONRec(t, append(args, "--json")...)
	for i, r := range []map[string]any{recs[0], rec} {
		c, _ := r["consensus"].(map[string]any)
		if c == nil {
			t.Fatalf("record %d has no consensus", i)
		}
		votes, _ := c["votes"].(map[string]any)
		if c["answer"] != "42" || votes["42"] != 2.0 || votes["41"] != 1.0 || c["winner"] != 1.0 {
			t.Errorf("record %d: consensus answer %v votes %v winner %v", i, c["answer"], votes, c["winner"])
		}
		chains, _ := c["chains"].([]any)
		if len(chains) != 3 {
			t.Fatalf("record %d: %d chains", i, len(chains))
		}
		id := str(r, "run_id")
		for j, l := range []string{"en", "zh", "fr"} {
			ch := chains[j].(map[string]any)
			if str(ch, "run_id") != fmt.Sprintf("%s.%d", id, j+1) || str(ch, "model") != "ml/c-"+l {
				t.Errorf("chain %d: run id %q model %q (consensus id %q)", j, str(ch, "run_id"), str(ch, "model"), id)
			}
			if got := mlRecord(ch).langs(); got != [3]string{"ru", l, "ru"} {
				t.Errorf("chain %d languages %v", j, got)
			}
			if !strings.HasPrefix(str(ch, "thinking"), consensus.ReasonSentence(l)) {
				t.Errorf("chain %d thinking %q", j, str(ch, "thinking"))
			}
		}
		if str(r, "answer") != "Ответ: получается 42." || str(r, "model") != "ml/c-zh" {
			t.Errorf("record %d: answer %q model %q, want the winner's", i, str(r, "answer"), str(r, "model"))
		}
	}
}

// runJSONRec is runJSON with the arguments as given (--json included).
func runJSONRec(t *testing.T, args ...string) (map[string]any, string) {
	t.Helper()
	out, errOut, code := reinRun(t, context.Background(), srv, nil, args...)
	if code != 0 {
		t.Fatalf("rein run %v: exit %d: %s", args, code, errOut)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	return rec, errOut
}

// TestConsensusOneModel: one model follows each language's prefix; all
// chains agree. And --consensus-samples runs N chains with seeds seed+i.
func TestConsensusOneModel(t *testing.T) {
	needML(t)
	rec, _ := runJSON(t, srv, "ml/reason", mlPrompts["ru"], "--consensus", "en,zh,fr", "--parallel", "2")
	c, _ := rec["consensus"].(map[string]any)
	votes, _ := c["votes"].(map[string]any)
	if c["answer"] != "42" || votes["42"] != 3.0 {
		t.Errorf("answer %v votes %v", c["answer"], votes)
	}
	chains, _ := c["chains"].([]any)
	for j, l := range []string{"en", "zh", "fr"} {
		ch := chains[j].(map[string]any)
		if got := mlRecord(ch).langs(); got[1] != l || !strings.Contains(str(ch, "thinking"), strings.TrimSpace(mlChains[l])) {
			t.Errorf("chain %d: languages %v thinking %q", j, got, str(ch, "thinking"))
		}
	}

	rec, _ = runJSON(t, srv, "ml/reason", mlPrompts["ru"], "--consensus-samples", "3", "--seed", "5")
	c, _ = rec["consensus"].(map[string]any)
	chains, _ = c["chains"].([]any)
	if len(chains) != 3 {
		t.Fatalf("%d chains, want 3", len(chains))
	}
	for j, ch := range chains {
		b, _ := ch.(map[string]any)["budgets"].(map[string]any)
		opts, _ := b["options"].(map[string]any)
		if opts["seed"] != float64(5+j) || mlRecord(ch.(map[string]any)).budget("think_prefix") != "" {
			t.Errorf("sample %d: seed %v prefix %q", j, opts["seed"], mlRecord(ch.(map[string]any)).budget("think_prefix"))
		}
	}

	// Samples in --reason-in's language.
	rec, _ = runJSON(t, srv, "ml/reason", mlPrompts["ru"], "--consensus-samples", "2", "--reason-in", "zh")
	c, _ = rec["consensus"].(map[string]any)
	chains, _ = c["chains"].([]any)
	if len(chains) != 2 || c["answer"] != "42" {
		t.Fatalf("%d chains, answer %v", len(chains), c["answer"])
	}
	for j, ch := range chains {
		ch := mlRecord(ch.(map[string]any))
		opts, _ := ch["budgets"].(map[string]any)["options"].(map[string]any)
		if ch.langs()[1] != "zh" || opts["seed"] != float64(j) {
			t.Errorf("sample %d: languages %v seed %v, want zh and seed %d", j, ch.langs(), opts["seed"], j)
		}
	}

	for _, bad := range [][]string{
		{"--consensus", "en,xx"},
		{"--consensus", "en,fr", "--reason-in", "zh"},
		{"--consensus", "en,fr", "--consensus-models", "a,b,c"},
		{"--consensus-samples", "0"},
	} {
		_, stderr, code := reinRun(t, context.Background(), srv, nil, append([]string{"ml/reason", "hi", "--no-log"}, bad...)...)
		if code != 2 {
			t.Errorf("%v: exit %d stderr %q, want a usage error", bad, code, stderr)
		}
	}
}

// TestLangRSS measures the peak RSS of a built rein binary doing a run with
// language detection and the switch hook, and a three-chain consensus; both
// must stay under 100 MB. The figure is the process's own VmHWM, read from
// /proc every 2 ms until it exits (a child's rusage ru_maxrss is no use
// here: Go starts children with vfork, so it reports the test binary's
// peak). Where GNU time is installed, its figure is logged beside it. Slow
// (it builds rein): REIN_SLOW=1.
//
//	REIN_SLOW=1 go test ./cmd/rein -run LangRSS -v
func TestLangRSS(t *testing.T) {
	if os.Getenv("REIN_SLOW") == "" {
		t.Skip("set REIN_SLOW=1 to build rein and measure its RSS")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	needML(t)
	bin := filepath.Join(t.TempDir(), "rein")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	env := append(os.Environ(), "OLLAMA_HOST="+srv.Host)
	// peak runs rein and returns its VmHWM in KiB and its stdout.
	peak := func(args ...string) (int, []byte) {
		t.Helper()
		var out strings.Builder
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stdout = env, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		hwm := 0
		for {
			if b, err := os.ReadFile(status); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						var kb int
						if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb); err == nil {
							hwm = max(hwm, kb)
						}
					}
				}
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("rein %v: %v", args, err)
				}
				return hwm, []byte(out.String())
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	gnuTime := func(args ...string) string {
		if _, err := os.Stat("/usr/bin/time"); err != nil {
			return "no GNU time"
		}
		cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", bin}, args...)...)
		cmd.Env = env
		var errOut strings.Builder
		cmd.Stderr = &errOut
		if err := cmd.Run(); err != nil {
			return err.Error()
		}
		lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
		return "GNU time: " + lines[len(lines)-1] + " KiB"
	}

	base, _ := peak("version")
	t.Logf("rein version: VmHWM %d KiB (%s)", base, gnuTime("version"))
	for _, args := range [][]string{
		{"run", "ml/switch", mlPrompts["en"], "--json", "--no-log"},
		{"run", "ml/reason", mlPrompts["ru"], "--consensus", "en,zh,fr", "--json", "--no-log"},
	} {
		hwm, out := peak(args...)
		var rec map[string]any
		if err := json.Unmarshal(out, &rec); err != nil || mlRecord(rec).langs()[1] == "" {
			t.Fatalf("rein %v: record %v (%v)", args, mlRecord(rec).langs(), err)
		}
		t.Logf("rein run %s %s: VmHWM %d KiB = %.1f MB (%s)", args[1], strings.Join(args[3:len(args)-2], " "), hwm, float64(hwm)/1024, gnuTime(args...))
		if hwm <= 0 || hwm > 100*1024 {
			t.Errorf("peak RSS %d KiB, want < 100 MB", hwm)
		}
	}
}

// TestBenchReasoningAxis: rein bench's --reason-in and --consensus axis on
// the real server. Each point runs the chain its language's prefix leads
// to, the consensus point votes over three chains, every run is scored,
// the resume key tells the points apart, and the report gets a reasoning
// column.
func TestBenchReasoningAxis(t *testing.T) {
	needML(t)
	dir := t.TempDir()
	suite := filepath.Join(dir, "ml.yaml")
	if err := os.WriteFile(suite, []byte("name: ml\ncases:\n  - id: mult\n    prompt: \""+mlPrompts["ru"]+"\"\n    check: {number: 42}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "results.jsonl")
	args := []string{"--models", "ml/reason", "--suite", suite, "--host", srv.Host, "--budgets", "none",
		"--reason-in", "native,en,zh", "--consensus", "en+zh+fr", "-o", out}
	stdout, stderr, code := reinBench(t, context.Background(), nil, args...)
	if code != 0 || !strings.HasPrefix(stdout, "4 runs: 4 passed") || !strings.Contains(stderr, "× 4 reasonings") {
		t.Fatalf("exit %d stdout %q stderr %s", code, stdout, stderr)
	}
	recs := rawRecords(t, out)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	for i, want := range []string{"", "en", "zh", "consensus=en+zh+fr"} {
		rec := recs[i]
		if got, _ := rec["reasoning"].(string); got != want {
			t.Errorf("record %d: reasoning %q, want %q", i, got, want)
		}
		switch {
		case want == "en" || want == "zh":
			if !strings.Contains(str(rec, "thinking"), strings.TrimSpace(mlChains[want])) {
				t.Errorf("reason-in %s: thinking %q", want, str(rec, "thinking"))
			}
		case strings.HasPrefix(want, "consensus="):
			c, _ := rec["consensus"].(map[string]any)
			chains, _ := c["chains"].([]any)
			if c["answer"] != "42" || len(chains) != 3 {
				t.Errorf("consensus: answer %v, %d chains", c["answer"], len(chains))
			}
		}
	}
	// The same axis, the consensus written as rein run takes it.
	args[len(args)-3] = "en,zh,fr"
	_, stderr, code = reinBench(t, context.Background(), nil, args...)
	if code != 0 || !strings.Contains(stderr, "skipped 4 runs already in") {
		t.Errorf("second bench: exit %d stderr %s", code, stderr)
	}

	ios, _, _ := testStreams("")
	rdir := filepath.Join(dir, "report")
	if err := reportRun(context.Background(), &ReportOptions{IO: ios, Results: []string{out}, Out: rdir}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(rdir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| model | budget | reasoning |", "| ml/reason | none | native |", "| ml/reason | none | consensus=en+zh+fr |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}

	for _, bad := range [][]string{{"--reason-in", "xx"}, {"--consensus", "en"}, {"--reason-in", "en,en"}} {
		_, stderr, code := reinBench(t, context.Background(), nil, append([]string{"--models", "ml/reason", "--suite", suite, "--host", srv.Host, "-o", filepath.Join(dir, "bad.jsonl")}, bad...)...)
		if code != 2 {
			t.Errorf("%v: exit %d stderr %q, want a usage error", bad, code, stderr)
		}
	}
}
