// Package wharf_test keeps the Go code of the README (and of the documents
// listed with it in readmeDocuments) compiled and run.
//
// Every ```go block of the documents listed in readmeDocuments must appear,
// line for line, in the body of an Example or Test function of a _test.go
// file of this module, so that the code a reader copies is code that go
// test compiles (and, for an Example with an Output comment or a Test,
// runs). Lines are compared without their leading and trailing white space,
// so the block may sit at any depth of indentation (inside a closure, an if
// or a t.Run), but everything else must be the same, down to the spaces
// gofmt puts before a trailing comment.
//
// To add a README section with Go code:
//
//  1. Write the code as (or inside) an Example in the example_test.go of
//     the package it shows, with an Output comment so that it runs; a
//     Test in that package's tests will do, too. Code that cannot run in a
//     test (it listens on a fixed port, say) goes into an Example without
//     an Output comment, which go test compiles but does not run (as
//     ExampleContainer_ListenAndServe in container/example_test.go).
//  2. gofmt it, and paste its lines into the README between ```go and ```.
//  3. go test -run Readme . tells which block, if any, is not found, and
//     the function that comes closest with the first line that differs.
//
// Pseudo-code or fragments that are not meant to compile go in a block
// fenced as ```text (or indented), which this test ignores. To hold
// another document to the same rule, add it to readmeDocuments.
package wharf_test

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// readmeDocuments are the Markdown files, relative to the module root,
// whose ```go blocks must be compiled code.
var readmeDocuments = []string{"README.md", "docs/webapps.md", "docs/events.md", "docs/protocols.md", "docs/security.md", "docs/architecture.md", "docs/scale-out.md"}

// codeBlock is one fenced Go block of a document.
type codeBlock struct {
	doc   string
	line  int      // of its first code line, 1-based
	lines []string // normalized: see normalize
}

func (b codeBlock) String() string {
	return fmt.Sprintf("%s:%d (%q...)", b.doc, b.line, b.lines[0])
}

// exampleBody is the body of an Example or Test function.
type exampleBody struct {
	name  string // file:function
	lines []string
}

// normalize drops each line's leading and trailing white space.
func normalize(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimSpace(l)
	}
	return out
}

// goBlocks returns the ```go blocks of a Markdown document. An unclosed
// block is an error, and so is an empty one.
func goBlocks(doc string, text []byte) ([]codeBlock, error) {
	var blocks []codeBlock
	var cur *codeBlock
	var raw []string
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fence := strings.TrimSpace(line)
		switch {
		case cur == nil && fence == "```go":
			cur, raw = &codeBlock{doc: doc, line: n + 1}, nil
		case cur != nil && fence == "```":
			if len(raw) == 0 {
				return nil, fmt.Errorf("%s:%d: empty ```go block", doc, cur.line-1)
			}
			cur.lines = normalize(raw)
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			raw = append(raw, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: ```go block not closed", doc, cur.line-1)
	}
	return blocks, nil
}

// exampleBodies returns the bodies of the Example and Test functions in the
// _test.go files under root, skipping other modules, testdata and hidden
// directories.
func exampleBodies(root string) ([]exampleBody, error) {
	var bodies []exampleBody
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module (bench)
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Body == nil || !isExampleOrTest(fn.Name.Name) {
				continue
			}
			from, to := fset.Position(fn.Body.Lbrace).Offset+1, fset.Position(fn.Body.Rbrace).Offset
			bodies = append(bodies, exampleBody{
				name:  path + ":" + fn.Name.Name,
				lines: normalize(strings.Split(string(src[from:to]), "\n")),
			})
		}
		return nil
	})
	return bodies, err
}

func isExampleOrTest(name string) bool {
	return strings.HasPrefix(name, "Example") || strings.HasPrefix(name, "Test") && name != "TestMain"
}

// match returns the length of the longest prefix of block found as
// consecutive lines of body.
func match(block, body []string) int {
	best := 0
	for i := range body {
		n := 0
		for n < len(block) && i+n < len(body) && body[i+n] == block[n] {
			n++
		}
		best = max(best, n)
		if best == len(block) {
			break
		}
	}
	return best
}

// find reports where block is, or describes the closest miss.
func find(block codeBlock, bodies []exampleBody) (where string, ok bool) {
	bestN, bestAt := -1, ""
	for _, b := range bodies {
		n := match(block.lines, b.lines)
		if n == len(block.lines) {
			return b.name, true
		}
		if n > bestN {
			bestN, bestAt = n, b.name
		}
	}
	if bestN <= 0 {
		return "no Example or Test has even its first line", false
	}
	return fmt.Sprintf("closest is %s, which has its first %d lines but not line %d: %q",
		bestAt, bestN, block.line+bestN, block.lines[bestN]), false
}

// Every ```go block of the README is the body, or part of the body, of an
// Example or Test function.
func TestReadmeGoBlocks(t *testing.T) {
	bodies, err := exampleBodies(".")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, doc := range readmeDocuments {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := goBlocks(doc, text)
		if err != nil {
			t.Fatal(err)
		}
		total += len(blocks)
		for _, b := range blocks {
			if where, ok := find(b, bodies); ok {
				t.Logf("%s is in %s", b, where)
			} else {
				t.Errorf("%s is in no Example or Test function, so nothing compiles it: %s", b, where)
			}
		}
	}
	if total == 0 {
		t.Fatal("no ```go blocks found: the fence or the file names changed")
	}
}

// The check fails when a README block drifts from the code: a block with
// any one of its lines changed is not found.
func TestReadmeGoBlocksDrift(t *testing.T) {
	bodies, err := exampleBodies(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range readmeDocuments {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := goBlocks(doc, text)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			for i := range b.lines {
				if b.lines[i] == "" || b.lines[i] == "}" || b.lines[i] == "})" {
					continue // may occur anywhere; drift shows in the lines around it
				}
				changed := b
				changed.lines = append([]string(nil), b.lines...)
				changed.lines[i] += " // drifted"
				if where, ok := find(changed, bodies); ok {
					t.Errorf("%s with line %d changed is still found, in %s", b, b.line+i, where)
				}
			}
		}
	}
}

// The Markdown side of the check: which fences count, and what is wrong.
func TestReadmeGoBlocksParse(t *testing.T) {
	doc := "Text\n\n```go\n\tx := 1\n\n  y := 2  \n```\n\n```text\nignored\n```\n\n    indented(ignored)\n\n```go\nz()\n```\n"
	blocks, err := goBlocks("doc.md", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].line != 4 || strings.Join(blocks[0].lines, "|") != "x := 1||y := 2" ||
		blocks[1].line != 16 || strings.Join(blocks[1].lines, "|") != "z()" {
		t.Fatalf("blocks = %+v", blocks)
	}
	for _, bad := range []string{"```go\nx()\n", "```go\n```\n"} {
		if _, err := goBlocks("bad.md", []byte(bad)); err == nil {
			t.Errorf("goBlocks(%q) did not fail", bad)
		}
	}
	body := []exampleBody{{name: "f", lines: normalize([]string{"a()", "\tif x {", "\t\tb()", "\t}"})}}
	if _, ok := find(codeBlock{lines: []string{"if x {", "b()", "}"}}, body); !ok {
		t.Error("an indented run of lines was not found")
	}
	if where, ok := find(codeBlock{line: 10, lines: []string{"if x {", "c()", "}"}}, body); ok || !strings.Contains(where, `line 11: "c()"`) {
		t.Errorf("a changed line: found %v, %s", ok, where)
	}
}
