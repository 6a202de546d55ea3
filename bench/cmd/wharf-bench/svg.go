package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

var serverColors = map[string]string{
	"wharf":    "#1f6fb4",
	"nethttp":  "#8c8c8c",
	"fasthttp": "#e8822a",
	"nbio":     "#3a9a48",
}

// chartLabel is a scenario's label under its group, in two lines.
func chartLabel(sc Scenario) (string, string) {
	path, _, _ := strings.Cut(sc.Path, "&")
	if sc.Name == "plaintext-100" || sc.Name == "plaintext-10000" {
		path = "/hello"
	}
	return path, fmtInt(float64(sc.Conns)) + " connections"
}

// fmtShort writes req/s compactly: 987, 1.97k, 52.3k, 123k.
func fmtShort(v float64) string {
	switch {
	case v < 1000:
		return fmt.Sprintf("%.0f", v)
	case v < 10000:
		return fmt.Sprintf("%.2fk", v/1000)
	case v < 100000:
		return fmt.Sprintf("%.1fk", v/1000)
	default:
		return fmt.Sprintf("%.0fk", v/1000)
	}
}

// fmtTick writes an axis value: 500, 1k, 20k, 1M.
func fmtTick(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1000:
		return fmt.Sprintf("%gk", v/1000)
	default:
		return fmt.Sprintf("%g", v)
	}
}

// renderSVG draws a grouped bar chart of the median req/s of every server
// in every scenario, on a log scale (the scenarios span three orders of
// magnitude), with each bar's value above it.
func renderSVG(res *Results) string {
	const (
		width, height          = 1000, 540
		left, right, top, foot = 78, 20, 112, 70
		plotW, plotH           = width - left - right, height - top - foot
	)
	servers := res.Config.Servers
	var lo, hi = math.Inf(1), 0.0
	for _, sc := range res.Scenarios {
		for _, s := range sc.Servers {
			if v := s.RPS(); len(s.Runs) > 0 && v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if hi == 0 {
		lo, hi = 1, 10
	}
	minExp := math.Floor(math.Log10(lo))
	maxExp := math.Log10(hi * 1.4) // room for the labels above the tallest bar
	y := func(v float64) float64 {
		return top + plotH - (math.Log10(v)-minExp)/(maxExp-minExp)*plotH
	}

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="%d" y="28" font-size="19" font-weight="bold" fill="#222">Requests per second, median of %d round(s) (higher is better; log scale)</text>`+"\n", left, res.Config.Rounds)
	sub := fmt.Sprintf("server on 1 core, wrk on another; %s, %s, %s; %s", res.Env.CPU, res.Env.GoVersion, res.Env.Wrk, res.Env.Date)
	p(`<text x="%d" y="49" font-size="12.5" fill="#555">%s</text>`+"\n", left, html.EscapeString(sub))
	if d, n := res.disturbed(); d > 0 {
		p(`<text x="%d" y="67" font-size="12.5" fill="#b03a2e">%s</text>`+"\n", left, html.EscapeString(fmt.Sprintf(
			"%d of %d runs were disturbed by other load or hypervisor steal: see Disturbances in benchmarks.md", d, n)))
	}

	// Legend.
	lx := float64(left)
	for _, s := range servers {
		p(`<rect x="%.0f" y="80" width="14" height="14" fill="%s"/>`+"\n", lx, serverColors[s])
		p(`<text x="%.0f" y="92" font-size="13.5" fill="#222">%s</text>`+"\n", lx+19, html.EscapeString(label(s)))
		lx += 19 + float64(len(label(s)))*8 + 26
	}

	// Grid and axis: a line at each 1, 2, 5 × 10^k, labelled.
	for e := minExp; e <= maxExp; e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if math.Log10(v) > maxExp+1e-9 {
				break
			}
			yy := y(v)
			stroke, w := "#e4e4e4", 1.0
			if m == 1 {
				stroke = "#c4c4c4"
			}
			p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="%.0f"/>`+"\n", left, yy, left+plotW, yy, stroke, w)
			p(`<text x="%d" y="%.1f" font-size="11.5" fill="#444" text-anchor="end">%s</text>`+"\n", left-6, yy+4, fmtTick(v))
		}
	}
	p(`<text transform="translate(18 %d) rotate(-90)" font-size="12.5" fill="#444" text-anchor="middle">req/s</text>`+"\n", top+plotH/2)
	p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>`+"\n", left, top+plotH, left+plotW, top+plotH)

	// Bars.
	n := max(len(res.Scenarios), 1)
	groupW := float64(plotW) / float64(n)
	barW := math.Min(36, groupW*0.9/float64(max(len(servers), 1)))
	for i, sc := range res.Scenarios {
		gx := float64(left) + groupW*float64(i)
		x0 := gx + (groupW-barW*float64(len(servers)))/2
		for j, name := range servers {
			if !sc.Scenario.takesPart(name) {
				continue // its gap shows it took no part; "n/a" would say it failed
			}
			x := x0 + barW*float64(j)
			var runs ServerRuns
			for _, s := range sc.Servers {
				if s.Server == name {
					runs = s
				}
			}
			v := runs.RPS()
			if len(runs.Runs) == 0 || v <= 0 {
				p(`<text x="%.1f" y="%d" font-size="10" fill="#a00" text-anchor="middle">n/a</text>`+"\n", x+barW/2, top+plotH-4)
				continue
			}
			yy := math.Min(y(v), float64(top+plotH)-1)
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s req/s</title></rect>`+"\n",
				x+1, yy, barW-2, float64(top+plotH)-yy, serverColors[name], html.EscapeString(label(name)), html.EscapeString(sc.Scenario.Name), fmtInt(v))
			p(`<text x="%.1f" y="%.1f" font-size="10" fill="#222" text-anchor="middle">%s</text>`+"\n", x+barW/2, yy-4, fmtShort(v))
		}
		l1, l2 := chartLabel(sc.Scenario)
		p(`<text x="%.1f" y="%d" font-size="13" fill="#222" text-anchor="middle" font-family="Menlo, Consolas, monospace">%s</text>`+"\n", gx+groupW/2, top+plotH+22, html.EscapeString(l1))
		p(`<text x="%.1f" y="%d" font-size="12" fill="#555" text-anchor="middle">%s</text>`+"\n", gx+groupW/2, top+plotH+40, html.EscapeString(l2))
		if i > 0 {
			p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>`+"\n", gx, top, gx, top+plotH)
		}
	}
	p("</svg>\n")
	return b.String()
}
