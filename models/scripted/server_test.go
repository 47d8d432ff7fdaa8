package scripted

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/template"
	"github.com/rein-dev/rein/internal/ollamatest"
)

var srv *ollamatest.Server

func TestMain(m *testing.M) { os.Exit(ollamatest.RunMain(m, &srv, ollamatest.Options{})) }

func createModel(t *testing.T, name string, spec Spec) *Model {
	t.Helper()
	s := ollamatest.Need(t, srv)
	m, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Create(ctx, s.Client, name, m, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return m
}

func render(t *testing.T, m *Model, prompt string) string {
	t.Helper()
	tmpl, err := template.Parse(m.Family.Template)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, template.Values{Messages: []api.Message{{Role: "user", Content: prompt}}}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func familyScript(fam, text string) string {
	f, _ := LookupFamily(fam)
	if f.Open == "" {
		_, answer, _ := strings.Cut(text, "</think>")
		return strings.TrimSpace(answer)
	}
	return strings.NewReplacer("<think>", f.Open, "</think>", f.Close).Replace(text)
}

// TestFamiliesThroughOllama runs each family's model through the real server:
// Ollama reports the thinking capability, streams the thinking in `thinking`
// and the answer in `content`, and raw generation reproduces the script
// exactly, tags included.
func TestFamiliesThroughOllama(t *testing.T) {
	scripts := map[string]string{
		"en": "<think>\nFirst I add two and two.\n\nThen I check the sum twice.\n\n</think>\n\nThe answer is 4.",
		"ru": "<think>\nСначала сложим два и два.\n\nПотом проверим сумму.\n\n</think>\n\nОтвет: 4.",
		"zh": "<think>\n先把二和二加起来。\n\n然后检查结果。\n\n</think>\n\n答案是四。",
		// Repeated words are split into unique pieces automatically.
		"rep": "<think>\nWait, check. Wait, check.\n\nWait, check it again.\n\n</think>\n\nDone. Done.",
	}
	for _, fam := range Families() {
		for lang, text := range scripts {
			if fam != "qwen3" && lang != "en" {
				continue
			}
			t.Run(fam+"/"+lang, func(t *testing.T) {
				text := familyScript(fam, text)
				sc, err := ParseScript(text)
				if err != nil {
					t.Fatal(err)
				}
				name := "scripted-" + fam + "-" + lang
				m := createModel(t, name, Spec{Family: fam, Script: sc})
				ctx := context.Background()
				show, err := srv.Client.Show(ctx, &api.ShowRequest{Model: name})
				if err != nil {
					t.Fatal(err)
				}
				hasThinking := false
				for _, c := range show.Capabilities {
					hasThinking = hasThinking || c == "thinking"
				}
				if want := m.Family.Open != ""; hasThinking != want {
					t.Errorf("thinking capability %v, want %v (%v)", hasThinking, want, show.Capabilities)
				}

				var think *api.ThinkValue
				if hasThinking {
					think = &api.ThinkValue{Value: true}
				}
				var thinking, content strings.Builder
				err = srv.Client.Chat(ctx, &api.ChatRequest{
					Model: name, Think: think,
					Messages: []api.Message{{Role: "user", Content: "What is 2+2?"}},
					Options:  map[string]any{"temperature": 1.0, "seed": 7},
				}, func(r api.ChatResponse) error {
					thinking.WriteString(r.Message.Thinking)
					content.WriteString(r.Message.Content)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := strings.TrimSpace(thinking.String()), strings.TrimSpace(m.Thinking()); got != want {
					t.Errorf("thinking %q, want %q", got, want)
				}
				if got, want := strings.TrimSpace(content.String()), strings.TrimSpace(m.Answer()); got != want {
					t.Errorf("content %q, want %q", got, want)
				}

				// Raw generation: the exact bytes of the script.
				var raw strings.Builder
				var final api.GenerateResponse
				f := false
				err = srv.Client.Generate(ctx, &api.GenerateRequest{
					Model: name, Raw: true, Think: &api.ThinkValue{Value: false},
					Prompt:  render(t, m, "What is 2+2?"),
					Options: map[string]any{"temperature": 0.8},
					Stream:  &f,
				}, func(r api.GenerateResponse) error {
					raw.WriteString(r.Response)
					final = r
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if raw.String() != text {
					t.Errorf("raw output %q, want %q", raw.String(), text)
				}
				if final.DoneReason != "stop" {
					t.Errorf("done_reason %q, want stop", final.DoneReason)
				}
			})
		}
	}
}

// TestLoopModelNeverCloses: the runaway model thinks for 500 tokens without
// closing its thinking or answering.
func TestLoopModelNeverCloses(t *testing.T) {
	sc, _ := ParseScript("<think>\nLet me re-read the question.\n\nHmm, that seems off.\n\n")
	m := createModel(t, "scripted-loop", Spec{Family: "qwen3", Script: sc})
	var out strings.Builder
	var final api.GenerateResponse
	err := srv.Client.Generate(context.Background(), &api.GenerateRequest{
		Model: "scripted-loop", Raw: true, Think: &api.ThinkValue{Value: false},
		Prompt:  render(t, m, "Why?"),
		Options: map[string]any{"num_predict": 500, "temperature": 1.0},
	}, func(r api.GenerateResponse) error {
		out.WriteString(r.Response)
		final = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if final.EvalCount != 500 || final.DoneReason != "length" {
		t.Errorf("eval_count %d done_reason %q, want 500 length", final.EvalCount, final.DoneReason)
	}
	if strings.Contains(out.String(), "</think>") {
		t.Errorf("the loop model closed its thinking")
	}
	if n := strings.Count(out.String(), "Hmm, that seems off."); n < 20 {
		t.Errorf("the loop repeated %d times in 500 tokens", n)
	}
}

// TestTokenizerRoundTripsOnServer: the server tokenizes a prompt that holds
// the script into exactly as many tokens as our encoder, so a resume prompt
// maps onto the tokens the model generated.
func TestTokenizerRoundTripsOnServer(t *testing.T) {
	sc, _ := ParseScript("<think>\nWe need the sum of two numbers.\n\nAdding them gives four.\n\n</think>\n\nIt is 4.")
	m := createModel(t, "scripted-rt", Spec{Family: "qwen3", Script: sc})
	prompt := render(t, m, "What is 2+2?") + m.Text()
	var final api.GenerateResponse
	err := srv.Client.Generate(context.Background(), &api.GenerateRequest{
		Model: "scripted-rt", Raw: true, Think: &api.ThinkValue{Value: false}, Prompt: prompt,
		Options: map[string]any{"num_predict": 1},
	}, func(r api.GenerateResponse) error { final = r; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if want := len(m.Vocab.Encode(prompt)); final.PromptEvalCount != want {
		t.Errorf("server counted %d prompt tokens, our encoder %d", final.PromptEvalCount, want)
	}
}
