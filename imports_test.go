package wharf_test

// TestImportTable holds the module's packages to the import table of
// docs/architecture.md (the "| package | owns | may import |" table under
// "Layers"). It fails when a package imports a package of this module that
// its row does not allow, when a package of the module has no row, and when
// a row names a package that does not exist.
//
// To add a package (say HTTP/2 moves to connector/http2), add its row to
// the table, nothing here:
//
//	| `connector/http2` | what it owns, in prose | `api`, `internal/owner` |
//
// and name it in the last column of every row whose package imports it
// (`connector`'s, say). The first column is one package path relative to the
// module root, in backquotes, or a pattern such as `filters/*` for every
// package one level below filters/ (a package's own row wins over a
// pattern's). The last column is a comma-separated list of such paths in
// backquotes; "standard library" stands for none of ours and may end the
// list. Only imports of this module are checked (third-party ones are the
// go.mod's business), and only those of non-test files, on every platform
// at once (build constraints are ignored: the table holds on each).
//
// The packages are found by parsing the files (go/parser), so the test needs
// no go tool. Not checked: other modules (bench/, or any directory with a
// go.mod), examples/ and cmd/ (programs and their helpers, which may import
// anything public), testdata and hidden directories, and directories with
// test files only.

import (
	"bufio"
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// importTableDoc is the document that holds the table, relative to the
// module root.
const importTableDoc = "docs/architecture.md"

// importRow is one row of the import table.
type importRow struct {
	pkg   string          // a package path relative to the module, or a path.Match pattern
	allow map[string]bool // packages of the module it may import
	line  int
}

// parseImportTable returns the rows of the "| package | owns | may import |"
// table of a Markdown document.
func parseImportTable(text []byte) ([]importRow, error) {
	var rows []importRow
	in := false
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !in {
			if cells := tableCells(line); len(cells) == 3 && cells[0] == "package" && cells[2] == "may import" {
				in = true
			}
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break // the table ends at the first line that is not a row
		}
		if strings.HasPrefix(line, "| ---") {
			continue
		}
		cells := tableCells(line)
		if len(cells) < 3 {
			return nil, fmt.Errorf("%s:%d: a row needs three cells: %q", importTableDoc, n, line)
		}
		pkg, ok := quoted(cells[0])
		if !ok {
			return nil, fmt.Errorf("%s:%d: first cell %q is not one `package`", importTableDoc, n, cells[0])
		}
		row := importRow{pkg: pkg, allow: map[string]bool{}, line: n}
		items := strings.Split(cells[len(cells)-1], ",")
		for i, item := range items {
			item = strings.TrimSpace(item)
			if item == "standard library" && i == len(items)-1 {
				continue
			}
			p, ok := quoted(item)
			if !ok {
				return nil, fmt.Errorf("%s:%d: %q in the last cell is neither a `package` nor a final \"standard library\"", importTableDoc, n, item)
			}
			row.allow[p] = true
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !in {
		return nil, fmt.Errorf("%s: no \"| package | owns | may import |\" table", importTableDoc)
	}
	return rows, nil
}

// tableCells splits a Markdown table row into its trimmed cells; nil if line
// is not a row.
func tableCells(line string) []string {
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") || len(line) < 2 {
		return nil
	}
	cells := strings.Split(line[1:len(line)-1], "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

// quoted returns s without its backquotes if s is one backquoted word.
func quoted(s string) (string, bool) {
	if len(s) < 3 || s[0] != '`' || s[len(s)-1] != '`' || strings.ContainsAny(s[1:len(s)-1], "` ") {
		return "", false
	}
	return s[1 : len(s)-1], true
}

// modulePath reads the module path from go.mod in dir.
func modulePath(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", filepath.Join(dir, "go.mod"))
}

// moduleImports returns, for every package of the module under root that the
// table covers (see TestImportTable), the packages of the module its
// non-test files import, both as paths relative to the module root.
func moduleImports(root, module string) (map[string][]string, error) {
	pkgs := map[string][]string{}
	fset := token.NewFileSet()
	err := libraryFiles(root, func(rel, file string) error {
		f, err := parser.ParseFile(fset, file, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := path.Dir(rel)
		if dir == "." {
			return fmt.Errorf("%s: the module root holds a package; TestImportTable does not know its name in the table", rel)
		}
		imps := pkgs[dir]
		if imps == nil {
			imps = []string{} // a package importing nothing of ours is still a package
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if ours, ok := strings.CutPrefix(p, module+"/"); ok && !slices.Contains(imps, ours) {
				imps = append(imps, ours)
			}
		}
		pkgs[dir] = imps
		return nil
	})
	return pkgs, err
}

// libraryFiles calls fn with each non-test Go file of the library under
// root, by its path relative to root (with slashes) and as a file name:
// not examples/ and cmd/ (programs), testdata, hidden directories, nor
// another module (bench). TestImportTable and TestConventions read the
// same files.
func libraryFiles(root string, fn func(rel, file string) error) error {
	return filepath.WalkDir(root, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, file)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel == "." {
				return nil
			}
			if rel == "examples" || rel == "cmd" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(file, "go.mod")); err == nil {
				return filepath.SkipDir // another module (bench)
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		return fn(rel, file)
	})
}

func TestImportTable(t *testing.T) {
	text, err := os.ReadFile(importTableDoc)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parseImportTable(text)
	if err != nil {
		t.Fatal(err)
	}
	module, err := modulePath(".")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := moduleImports(".", module)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 || pkgs["api"] == nil || pkgs["container"] == nil {
		t.Fatalf("found only %d packages (%v): the walk is broken", len(pkgs), slices.Sorted(maps.Keys(pkgs)))
	}

	// Every row names a package, or a pattern that matches one, and allows
	// only packages that exist.
	exact := map[string]importRow{}
	for _, r := range rows {
		if _, dup := exact[r.pkg]; dup {
			t.Errorf("%s:%d: a second row for `%s`", importTableDoc, r.line, r.pkg)
		}
		exact[r.pkg] = r
		matched := false
		for p := range pkgs {
			if m, err := path.Match(r.pkg, p); err != nil {
				t.Errorf("%s:%d: bad pattern `%s`: %v", importTableDoc, r.line, r.pkg, err)
				break
			} else if m {
				matched = true
			}
		}
		if !matched {
			t.Errorf("%s:%d: row for `%s`, which is no package of the module (or is not checked: see TestImportTable)", importTableDoc, r.line, r.pkg)
		}
		for a := range r.allow {
			if pkgs[a] == nil {
				t.Errorf("%s:%d: `%s` may import `%s`, which is no package of the module", importTableDoc, r.line, r.pkg, a)
			}
		}
	}

	// Every package has a row, and imports only what its row allows.
	for _, p := range slices.Sorted(maps.Keys(pkgs)) {
		row, ok := exact[p]
		if !ok {
			var patterns []importRow
			for _, r := range rows {
				if m, _ := path.Match(r.pkg, p); m && r.pkg != p {
					patterns = append(patterns, r)
				}
			}
			switch len(patterns) {
			case 0:
				t.Errorf("package %s has no row in the import table of %s (it imports %v): add one", p, importTableDoc, pkgs[p])
				continue
			case 1:
				row = patterns[0]
			default:
				t.Errorf("package %s matches %d pattern rows of %s; give it a row of its own", p, len(patterns), importTableDoc)
				continue
			}
		}
		for _, imp := range pkgs[p] {
			if !row.allow[imp] {
				t.Errorf("%s imports %s, which its row in %s (line %d, `%s`) does not allow", p, imp, importTableDoc, row.line, row.pkg)
			}
		}
	}
}

// TestImportTableParse checks the parser on a table that breaks each rule.
func TestImportTableParse(t *testing.T) {
	good := "| package | owns | may import |\n| --- | --- | --- |\n" +
		"| `api` | requests | standard library |\n" +
		"| `filters/*` | a | b, c | `api`, `async` |\n" + // a pipe in the prose
		"| `h3` | HTTP/3 | `api`, `connector`, standard library |\n\nafter\n| `x` | not | in the table |\n"
	rows, err := parseImportTable([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprint(r.pkg, slices.Sorted(maps.Keys(r.allow))))
	}
	if want := []string{"api[]", "filters/*[api async]", "h3[api connector]"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	for _, bad := range []string{
		"no table here\n",
		"| package | owns | may import |\n| --- | --- | --- |\n| `container` | all | everything above |\n",
		"| package | owns | may import |\n| --- | --- | --- |\n| `a` | x | `api`, and more |\n",
		"| package | owns | may import |\n| --- | --- | --- |\n| `a` | x | standard library, `api` |\n",
		"| package | owns | may import |\n| --- | --- | --- |\n| `a`, `b` | x | `api` |\n",
		"| package | owns | may import |\n| --- | --- | --- |\n| a | x | `api` |\n",
	} {
		if rows, err := parseImportTable([]byte(bad)); err == nil {
			t.Errorf("%q parsed as %v, want an error", bad, rows)
		}
	}
}
