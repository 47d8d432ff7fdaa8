// Package tiny is rein's learned reasoner: a small llama (models/tiny/MODEL.md)
// trained here, from data, to think in steps before it answers: it counts
// the items of a list one per step, adds numbers column by column with the
// carry, and follows a chain of "X is in Y", in English and French. Cut its
// thinking early and its forced answer is wrong more often; long problems
// make it take detours ("Wait, let me recount."), and a chain that comes
// back on itself makes it loop. The GGUF is committed (tiny.gguf, made by
// scripts/tiny/train.py), so that nothing trains or downloads at test time.
package tiny

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"fmt"

	"github.com/ollama/ollama/api"
	"github.com/rein-dev/rein/models/scripted"
)

//go:embed tiny.gguf
var ggufData []byte

// Name is the model's name in the server.
const Name = "rein-tiny/reasoner"

// EOS ends the assistant's turn.
const EOS = "<|end|>"

// Template is the model's chat template: its own special tokens (so that no
// family profile but the generic one matches it) and <think> tags around
// .Thinking, which makes Ollama report the thinking capability.
const Template = `{{- if .System }}<|system|>
{{ .System }}<|end|>
{{ end }}
{{- range $i, $_ := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 -}}
{{- if eq .Role "user" }}<|user|>
{{ .Content }}<|end|>
{{ else if eq .Role "assistant" }}<|assistant|>
{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}{{ if not $last }}<|end|>
{{ end }}
{{- end }}
{{- if and (ne .Role "assistant") $last }}<|assistant|>
{{ if and $.IsThinkSet (not $.Think) }}<think>

</think>{{ end }}
{{- end }}
{{- end }}`

// Parameters are the model's defaults: greedy decoding; no repeat penalty,
// since its traces repeat words by design; and one thread, which is all a
// model this small needs: on a busy machine, the runner's threads waiting on
// each other for every token made it a thousand times slower (2 tokens/s
// with two threads, 2000 with one, measured on a loaded two-core machine).
func Parameters() map[string]any {
	return map[string]any{"stop": []string{EOS}, "temperature": 0, "repeat_penalty": 1.0, "num_thread": 1}
}

// GGUF returns the model file.
func GGUF() []byte { return ggufData }

// Digest is the GGUF's blob digest.
func Digest() string { return fmt.Sprintf("sha256:%x", sha256.Sum256(ggufData)) }

// Create uploads the GGUF as a blob and creates the model named name
// through the API.
func Create(ctx context.Context, c scripted.Creator, name string) error {
	d := Digest()
	if err := c.CreateBlob(ctx, d, bytes.NewReader(ggufData)); err != nil {
		return fmt.Errorf("create %s: upload blob: %w", name, err)
	}
	req := &api.CreateRequest{
		Model:      name,
		Files:      map[string]string{"model.gguf": d},
		Template:   Template,
		Parameters: Parameters(),
	}
	if err := c.Create(ctx, req, func(api.ProgressResponse) error { return nil }); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return nil
}
