package bench

import (
	"bytes"
	"html/template"
	"io"
	"regexp"
)

var htmlTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rein report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; }
th { background: #f3f3f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; }
figure svg { max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.9em; max-width: 60em; }
</style>
</head>
<body>
<h1>rein report</h1>
<p>{{.Summary}}</p>
<table>
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Cells}}<tr>{{range $i, $c := .}}<td{{if ge $i $.TextCols}} class="n"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>
<p class="note">{{.Note}}</p>
<h2>Accuracy against mean thinking tokens, by budget kind</h2>
<table>
<tr>{{range .KindHeader}}<th>{{.}}</th>{{end}}</tr>
{{range .KindCells}}<tr>{{range $i, $c := .}}<td{{if and (ge $i $.KindTextCols) (lt $i $.KindLast)}} class="n"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>
<p class="note">{{.KindNote}}</p>
<h2>Decode speed against trace length</h2>
<ul>{{range .Slopes}}<li>{{.}}</li>{{end}}</ul>
{{range .Plots}}<figure id="{{.Name}}">{{.SVG}}</figure>
{{end}}{{if .Warnings}}<h2>Notes</h2>
<ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>
{{end}}</body>
</html>
`))

var xmlPrologRE = regexp.MustCompile(`(?s)^\s*<\?xml.*?\?>\s*(<!DOCTYPE[^>]*>\s*)?`)

// writeHTML writes one self-contained page: the table and the plots as
// inline SVG.
func writeHTML(w io.Writer, results []Result, rows []Row, plots []Plot, opts ReportOptions) error {
	header, cells := table(rows, opts)
	kheader, kcells := kindTable(KindPoints(results))
	type fig struct {
		Name string
		SVG  template.HTML
	}
	var figs []fig
	for _, p := range plots {
		svg := xmlPrologRE.ReplaceAll(p.SVG, nil)
		figs = append(figs, fig{p.Name, template.HTML(bytes.TrimSpace(svg))}) // our own plot output
	}
	return htmlTmpl.Execute(w, map[string]any{
		"Summary":  summaryLine(results, rows),
		"Header":   header,
		"Cells":    cells,
		"TextCols": 2 + b2i(opts.ByVariant),
		"Note":     tableNote,
		// The budget kinds table (report_kinds.go).
		"KindHeader":   kheader,
		"KindCells":    kcells,
		"KindTextCols": kindTextCols(kheader),
		"KindLast":     len(kheader) - 1,
		"KindNote":     kindNote,
		"Slopes":       slopeLines(results),
		"Plots":        figs,
		"Warnings":     opts.Warnings,
	})
}
