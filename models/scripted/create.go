package scripted

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"

	"github.com/ollama/ollama/api"
)

// Creator is the part of *api.Client that creating a model needs.
type Creator interface {
	CreateBlob(ctx context.Context, digest string, r io.Reader) error
	Create(ctx context.Context, req *api.CreateRequest, fn api.CreateProgressFunc) error
}

// Create writes the model's GGUF, uploads it as a blob and creates the model
// named name through the API (no ollama CLI). dir holds the temporary file;
// "" means the system's temporary folder.
func Create(ctx context.Context, c Creator, name string, m *Model, dir string) error {
	f, err := os.CreateTemp(dir, "scripted-*.gguf")
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	if err := m.WriteGGUF(io.MultiWriter(f, h)); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	digest := fmt.Sprintf("sha256:%x", h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if err := c.CreateBlob(ctx, digest, f); err != nil {
		return fmt.Errorf("create %s: upload blob: %w", name, err)
	}
	req := &api.CreateRequest{
		Model:    name,
		Files:    map[string]string{"model.gguf": digest},
		Template: m.Family.Template,
		Parameters: map[string]any{
			"stop": []string{m.Family.EOS},
		},
	}
	if err := c.Create(ctx, req, func(api.ProgressResponse) error { return nil }); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return nil
}
