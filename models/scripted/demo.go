package scripted

// Demo models: the built-in scripted models that `make demo` and
// `rein bench --suite demo` run on. Their thinking repeats no word within a
// cycle, so they round-trip and a resume reuses the KV cache.
var demoModels = []DemoModel{
	{"rein-demo/runaway", Spec{Family: "qwen3", Script: Script{
		Thinking: "\nThe user asks how many r's appear in strawberry.\n\nLet me count each letter one by one.\n\nWait, I should re-read what was asked.\n\n",
		Loop:     true,
		Answer:   "\n\nThere are three r's in \"strawberry\".",
	}}},
	{"rein-demo/closer", Spec{Family: "qwen3", Script: Script{
		Thinking: "\nWe need 17 times 3.\n\nSeventeen times three is fifty-one.\n\nDouble-check: 51 divided by 3 gives 17.\n\n",
		Answer:   "\n\n17 × 3 = 51.",
	}}},
	{"rein-demo/magistral", Spec{Family: "magistral-think", Script: Script{
		Thinking: "Le client demande la capitale.\n\nParis est la capitale de la France.\n\n",
		Answer:   "La capitale est Paris.",
	}}},
}

// DemoModel is a named built-in model.
type DemoModel struct {
	Name string
	Spec Spec
}

// DemoModels returns the built-in demo models.
func DemoModels() []DemoModel { return append([]DemoModel(nil), demoModels...) }
