package auth

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzAcceptsHTML: the Accept reader behind Required's choice between
// the login page and a 401, on any field value: no panic; the answer of a
// reference written apart (the most specific of */*, text/* and
// text/html decides, the first of equal ones, a weight of 0 refuses);
// and the same answer with the media ranges and parameter names in
// another case (RFC 9110 §8.3.1: they are case-insensitive) or with
// optional whitespace around the separators.
func FuzzAcceptsHTML(f *testing.F) {
	for _, s := range []string{
		"", "*/*", "text/html", "TEXT/HTML", "text/*", "application/json",
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		"image/avif,image/webp,*/*;q=0.8", "text/event-stream",
		"*/*;q=0, text/html", "application/json, */*, text/html;q=0",
		"text/html ; q=0.000, application/json", "text/html;Q=0", "text/html;q=",
		"text/html;q=abc", "text/html;level=1;q=0", `text/html;x="a,b";q=0`,
		",,,;;;===", "text/*;q=0, */*", "text/html;q=0e0", "text/html;q=-0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := acceptsHTML([]string{v})
		if want := acceptsHTMLReference(v); got != want {
			t.Errorf("acceptsHTML(%q) = %v, the reference %v", v, got, want)
		}
		if u := asciiUpper(v); acceptsHTML([]string{u}) != got {
			t.Errorf("acceptsHTML(%q) = %v, of %q %v", u, !got, v, got)
		}
		spaced := strings.NewReplacer(",", " \t, ", ";", " ; ", "=", " = ").Replace(v)
		if acceptsHTML([]string{spaced}) != got {
			t.Errorf("acceptsHTML(%q) = %v, of %q %v", spaced, !got, v, got)
		}
	})
}

// acceptsHTMLReference is acceptsHTML written apart, for FuzzAcceptsHTML.
func acceptsHTMLReference(v string) bool {
	best, admits := -1, false
	for _, elem := range strings.Split(v, ",") {
		parts := strings.Split(elem, ";")
		spec := map[string]int{"*/*": 0, "text/*": 1, "text/html": 2}
		s, ok := spec[strings.ToLower(strings.TrimSpace(parts[0]))]
		if !ok || s <= best {
			continue
		}
		w := 1.0
		for _, p := range parts[1:] {
			eq := strings.IndexByte(p, '=')
			name, value := p, ""
			if eq >= 0 {
				name, value = p[:eq], p[eq+1:]
			}
			if strings.ToLower(strings.TrimSpace(name)) == "q" {
				if q, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
					w = q
				}
				break
			}
		}
		best, admits = s, w != 0
	}
	return admits
}

// asciiUpper is s with its ASCII letters in upper case, and nothing else
// changed (strings.ToUpper maps some other letters to ASCII ones).
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
