package openai

import (
	"fmt"
	"strings"

	"github.com/rein-dev/rein/models/templates"
)

// ProfileNames lists the profiles whose template rein knows.
func ProfileNames() []string { return templates.Names() }

// ProfileTemplate returns the chat template of a profile rein knows.
func ProfileTemplate(name string) (string, error) {
	t, ok := templates.Lookup(name)
	if !ok {
		if name == "gpt-oss" {
			return "", fmt.Errorf("profile gpt-oss: its harmony format needs the chat path, which the openai backend does not offer")
		}
		return "", fmt.Errorf("unknown profile %q: want one of %s, or give --template FILE", name, strings.Join(ProfileNames(), ", "))
	}
	return t, nil
}
