package models

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/ollama/ollama/api"
)

// optionNames are the JSON names of the fields of api.Options: the
// options the pinned Ollama reads.
var optionNames = sync.OnceValue(func() map[string]bool {
	names := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[api.Options]()) {
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" && n != "-" {
			names[n] = true
		}
	}
	return names
})

// refusedOptions are fields of api.Options that the pinned Ollama refuses
// on a request (and in a Modelfile) with a 400, and why. api.Options keeps
// typical_p only for the parameters of models made before; the server
// refuses any request that sets it to a value (null is unset).
var refusedOptions = map[string]string{
	"typical_p": "Ollama no longer supports it and answers 400; use top_p or min_p to cut unlikely tokens",
}

// CheckOption reports whether val is a value Ollama takes for the option
// key (a field of api.Options): a name it knows, not one it refuses, and a
// value of the right type. Ollama itself ignores an unknown name with a
// line in its log, so a typo ("temprature") would go unnoticed. A nil val
// is taken: Ollama reads null as unset.
func CheckOption(key string, val any) error {
	if !optionNames()[key] {
		return fmt.Errorf("unknown Ollama option %q", key)
	}
	if why, ok := refusedOptions[key]; ok && val != nil {
		return fmt.Errorf("option %q is refused: %s", key, why)
	}
	var o api.Options
	if err := o.FromMap(map[string]any{key: jsonValue(val)}); err != nil {
		r := strings.NewReplacer("must be of type float32", "must be a number", "must be of type integer", "must be a whole number",
			"must be of type boolean", "must be true or false", "must be of type array", "must be a list of strings", "must be of an array of strings", "must be a list of strings")
		return fmt.Errorf("%s, not %v", r.Replace(err.Error()), val)
	}
	return nil
}

// jsonValue turns val into what JSON decoding would give: numbers as
// float64, lists as []any.
func jsonValue(val any) any {
	switch v := reflect.ValueOf(val); v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint())
	case reflect.Float32:
		return v.Float()
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = jsonValue(v.Index(i).Interface())
		}
		return out
	}
	return val
}
