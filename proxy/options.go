package proxy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rein-dev/rein/budget"
)

// Budgets are the limits an intercepted run is held to: the proxy's flags,
// under a request's own rein_* options (the keys budget.Names gives), over
// the matched profile's.
type Budgets = budget.Budgets

// OptionPrefix marks the options a request uses to set its own budgets.
// They are removed before the request goes upstream.
const OptionPrefix = "rein_"

// optionError is a bad rein_* option: the client's fault, HTTP 400.
type optionError struct{ msg string }

func (e *optionError) Error() string { return e.msg }

func optErrorf(format string, a ...any) error { return &optionError{fmt.Sprintf(format, a...)} }

// takeOptions removes the rein_* keys from opts and returns b with them
// applied. An unknown rein_* key or a value of the wrong kind is an
// *optionError.
func takeOptions(b Budgets, opts map[string]any) (Budgets, error) {
	keys := make([]string, 0, 4)
	for k := range opts {
		if strings.HasPrefix(k, OptionPrefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // the first unknown key is reported, always the same one
	for _, k := range keys {
		v := opts[k]
		delete(opts, k)
		n, ok := budget.Lookup(k, budget.ByOption)
		if !ok {
			return b, optErrorf("unknown option %s (rein knows %s)", k, strings.Join(budget.Keys(budget.ByOption), ", "))
		}
		if err := n.ParseValue(&b, v); err != nil {
			return b, optErrorf("option %s %v", k, err)
		}
	}
	return b, nil
}
