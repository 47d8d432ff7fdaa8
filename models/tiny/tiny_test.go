package tiny

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/template"
)

// The template renders the chat exactly as scripts/tiny/data.py's
// render_prompt wrote the training data.
func TestTemplateMatchesTraining(t *testing.T) {
	tmpl, err := template.Parse(Template)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		v    template.Values
		want string
	}{
		{template.Values{Messages: []api.Message{{Role: "user", Content: "Count the fruits: fig, lime."}}},
			"<|user|>\nCount the fruits: fig, lime.<|end|>\n<|assistant|>\n"},
		{template.Values{Messages: []api.Message{{Role: "system", Content: "Answer in English."}, {Role: "user", Content: "Où est la clé ?"}}},
			"<|system|>\nAnswer in English.<|end|>\n<|user|>\nOù est la clé ?<|end|>\n<|assistant|>\n"},
	} {
		var b bytes.Buffer
		if err := tmpl.Execute(&b, c.v); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("rendered %q, want %q", b.String(), c.want)
		}
	}
}

// The committed GGUF is a small llama: GGUF v3, at most 8 MB.
func TestGGUF(t *testing.T) {
	g := GGUF()
	if len(g) > 8<<20 {
		t.Errorf("GGUF is %d bytes, want 8 MB at most", len(g))
	}
	if len(g) < 8 || string(g[:4]) != "GGUF" || binary.LittleEndian.Uint32(g[4:8]) != 3 {
		t.Fatalf("not a GGUF v3 file")
	}
	if !bytes.Contains(g, []byte("general.architecture")) || !bytes.Contains(g, []byte("llama")) {
		t.Error("no llama architecture key")
	}
}
