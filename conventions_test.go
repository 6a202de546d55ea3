package wharf_test

// TestConventions holds the module's non-test Go code to the written rules
// that a compiler does not check (docs/architecture.md, under the import
// table):
//
//   - SentinelErrors: a package's exported ErrXxx made with errors.New or
//     fmt.Errorf are declared in one documented var ( ... ) block, and each
//     message starts with the package's prefix ("dos: "), so that an error
//     that reaches a log names the package it comes from;
//   - ConfigZero: every exported field of an exported XxxConfig or
//     XxxOptions struct says what its zero value means, since configuration
//     structs must work at their zero value;
//   - PackageDoc: every package outside internal/ has its package comment
//     in doc.go, and that comment says what the package imports (the
//     import table of docs/architecture.md in the package's own words);
//   - ExportedDoc: every exported top-level identifier of a package outside
//     internal/ has a doc comment (on its spec or on its group, as golint
//     accepts), and so does every exported method of an exported type.
//
// The files are parsed, not built, so build constraints are ignored and
// every platform's files are read at once. Not read: other modules (bench),
// examples/ and cmd/ (programs, not library), testdata and hidden
// directories, and _test.go files. Each rule reports all its violations in
// one failure, file:line first, so that they can be fixed in one pass.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// conventionPkg is one package of the module: its directory relative to the
// module root and its parsed non-test files.
type conventionPkg struct {
	dir   string
	files []*ast.File
	names []string // file names, relative to the module root, by files' index
}

// internal reports whether the package is internal to the module, where
// the rules for public API (PackageDoc, ExportedDoc) do not apply.
func (p *conventionPkg) internal() bool {
	return slices.Contains(strings.Split(p.dir, "/"), "internal")
}

// parseModule parses the non-test Go files of the module under root, with
// comments, by package directory.
func parseModule(t *testing.T, root string) (*token.FileSet, []*conventionPkg) {
	t.Helper()
	fset := token.NewFileSet()
	byDir := map[string]*conventionPkg{}
	err := libraryFiles(root, func(rel, file string) error {
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := path.Dir(rel)
		p := byDir[dir]
		if p == nil {
			p = &conventionPkg{dir: dir}
			byDir[dir] = p
		}
		p.files = append(p.files, f)
		p.names = append(p.names, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(byDir) < 10 || byDir["api"] == nil || byDir["container"] == nil {
		t.Fatalf("found only %d packages (%v): the walk is broken", len(byDir), slices.Sorted(maps.Keys(byDir)))
	}
	var pkgs []*conventionPkg
	for _, dir := range slices.Sorted(maps.Keys(byDir)) {
		pkgs = append(pkgs, byDir[dir])
	}
	return fset, pkgs
}

// report fails t once with every violation, sorted, one a line.
func report(t *testing.T, rule string, violations []string) {
	t.Helper()
	if len(violations) > 0 {
		slices.Sort(violations)
		t.Errorf("%d violations of %s:\n%s", len(violations), rule, strings.Join(violations, "\n"))
	}
}

// sentinelPrefix names the packages whose errors are prefixed other than by
// the last element of their path.
var sentinelPrefix = map[string]string{
	// api's errors are the model's, which every other package returns and
	// wraps: they read as the library's own ("wharf: ..."), as net/http's
	// read "http: ...", and callers and tests have matched those texts
	// since the first release.
	"api": "wharf",
}

// sentinelBlocks names the packages whose sentinel errors may be declared
// in more than one block, with the reason. None today: a package that
// groups its errors by concept (dispatcher's executors' and dispatch's,
// say) still declares them together, so that its reader finds them all in
// one place.
var sentinelBlocks = map[string]string{}

func TestConventions(t *testing.T) {
	fset, pkgs := parseModule(t, ".")
	pos := func(n ast.Node) string {
		p := fset.Position(n.Pos())
		return fmt.Sprintf("%s:%d", filepath.ToSlash(p.Filename), p.Line)
	}

	t.Run("SentinelErrors", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			prefix := path.Base(p.dir)
			if pre, ok := sentinelPrefix[p.dir]; ok {
				prefix = pre
			}
			prefix += ": "
			var blocks []*ast.GenDecl
			for _, f := range p.files {
				for _, decl := range f.Decls {
					gd, ok := decl.(*ast.GenDecl)
					if !ok || gd.Tok != token.VAR {
						continue
					}
					has := false
					for _, spec := range gd.Specs {
						vs := spec.(*ast.ValueSpec)
						for i, name := range vs.Names {
							if !strings.HasPrefix(name.Name, "Err") || !name.IsExported() || i >= len(vs.Values) {
								continue
							}
							msg, made, lit := errorMessage(vs.Values[i])
							if !made {
								continue // not made here (net.ErrClosed, say)
							}
							has = true
							if !lit {
								bad = append(bad, fmt.Sprintf("%s: %s's message is not a string literal, whose prefix the test can read", pos(name), name.Name))
							} else if !strings.HasPrefix(msg, prefix) {
								bad = append(bad, fmt.Sprintf("%s: %s's message %q does not start with %q", pos(name), name.Name, msg, prefix))
							}
						}
					}
					if !has {
						continue
					}
					blocks = append(blocks, gd)
					if !gd.Lparen.IsValid() {
						bad = append(bad, fmt.Sprintf("%s: sentinel errors outside a var ( ... ) block", pos(gd)))
					}
					if gd.Doc == nil {
						bad = append(bad, fmt.Sprintf("%s: the block of sentinel errors has no doc comment", pos(gd)))
					}
				}
			}
			if _, ok := sentinelBlocks[p.dir]; !ok && len(blocks) > 1 {
				var at []string
				for _, b := range blocks {
					at = append(at, pos(b))
				}
				bad = append(bad, fmt.Sprintf("%s: %d blocks of sentinel errors (%s), want one", p.dir, len(blocks), strings.Join(at, ", ")))
			}
		}
		report(t, "one documented block of prefixed sentinel errors a package", bad)
	})

	t.Run("ConfigZero", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			for _, f := range p.files {
				for _, decl := range f.Decls {
					gd, ok := decl.(*ast.GenDecl)
					if !ok || gd.Tok != token.TYPE {
						continue
					}
					for _, spec := range gd.Specs {
						ts := spec.(*ast.TypeSpec)
						st, ok := ts.Type.(*ast.StructType)
						if !ok || !ts.Name.IsExported() || !(strings.HasSuffix(ts.Name.Name, "Config") || strings.HasSuffix(ts.Name.Name, "Options")) {
							continue
						}
						for _, field := range st.Fields.List {
							names := fieldNames(field)
							exported := false
							for _, n := range names {
								exported = exported || ast.IsExported(n)
							}
							if !exported {
								continue
							}
							key := p.dir + "." + ts.Name.Name + "." + names[0]
							if _, ok := zeroExempt[key]; ok {
								continue
							}
							text := field.Doc.Text() + field.Comment.Text()
							switch {
							case text == "":
								bad = append(bad, fmt.Sprintf("%s: %s.%s has no comment", pos(field), ts.Name.Name, strings.Join(names, ", ")))
							case !saysZero(text):
								bad = append(bad, fmt.Sprintf("%s: %s.%s's comment does not say what its zero value means", pos(field), ts.Name.Name, strings.Join(names, ", ")))
							}
						}
					}
				}
			}
		}
		for key := range zeroExempt {
			if !slices.ContainsFunc(pkgs, func(p *conventionPkg) bool { return strings.HasPrefix(key, p.dir+".") }) {
				bad = append(bad, fmt.Sprintf("zeroExempt names %s, of no package", key))
			}
		}
		report(t, "a configuration field's zero value stated", bad)
	})

	t.Run("PackageDoc", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			if p.internal() {
				continue
			}
			found := false
			for i, f := range p.files {
				name := p.names[i]
				if f.Doc == nil {
					continue
				}
				if path.Base(name) != "doc.go" {
					bad = append(bad, fmt.Sprintf("%s: package comment outside doc.go (move it there)", pos(f.Doc)))
					continue
				}
				found = true
				if !saysImports.MatchString(f.Doc.Text()) {
					bad = append(bad, fmt.Sprintf("%s: package comment does not say what package %s imports", pos(f.Doc), f.Name.Name))
				}
			}
			if !found {
				bad = append(bad, fmt.Sprintf("%s: no package comment in %s/doc.go", p.dir, p.dir))
			}
		}
		report(t, "a package comment in doc.go that says what the package imports", bad)
	})

	t.Run("ExportedDoc", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			if p.internal() {
				continue
			}
			for _, f := range p.files {
				for _, decl := range f.Decls {
					switch d := decl.(type) {
					case *ast.FuncDecl:
						if !d.Name.IsExported() || d.Doc != nil {
							continue
						}
						if d.Recv == nil {
							bad = append(bad, fmt.Sprintf("%s: func %s has no doc comment", pos(d), d.Name.Name))
						} else if recv := receiverType(d.Recv.List[0].Type); ast.IsExported(recv) {
							bad = append(bad, fmt.Sprintf("%s: method %s.%s has no doc comment", pos(d), recv, d.Name.Name))
						}
					case *ast.GenDecl:
						if d.Tok == token.IMPORT {
							continue
						}
						for _, spec := range d.Specs {
							switch s := spec.(type) {
							case *ast.TypeSpec:
								if s.Name.IsExported() && s.Doc == nil && d.Doc == nil {
									bad = append(bad, fmt.Sprintf("%s: type %s has no doc comment", pos(s), s.Name.Name))
								}
							case *ast.ValueSpec:
								if s.Doc != nil || d.Doc != nil {
									continue
								}
								for _, n := range s.Names {
									if n.IsExported() {
										bad = append(bad, fmt.Sprintf("%s: %s %s has no doc comment", pos(n), d.Tok, n.Name))
									}
								}
							}
						}
					}
				}
			}
		}
		report(t, "a doc comment on every exported identifier", bad)
	})
}

// zeroWords are what a field's comment says about its zero value, in the
// words the module's comments use ("Zero means", "by default", "Nil
// means", "False omits", "empty", "unset", ...). The test looks for a
// statement, not a wording: a comment with none of them says nothing of
// the zero value. A 0 counts alone, not inside "10.0.0.7" or "0.5".
var zeroWords = regexp.MustCompile(`(?i)\b(zero|defaults?|nil|empty|unset|none|off|false)\b|(^|[^.\w])0([^.\w]|$)`)

// saysZero reports whether a field's comment states its zero value.
func saysZero(text string) bool { return zeroWords.MatchString(text) }

// zeroExempt names the configuration fields (package dir.Type.Field) that
// have no zero value to speak of, with the reason.
var zeroExempt = map[string]string{}

// saysImports finds the sentence of a package comment that says what the
// package imports ("Package dos imports api, ...", "It imports the standard
// library only.").
var saysImports = regexp.MustCompile(`\bimports\b`)

// errorMessage reports whether e is errors.New(msg) or fmt.Errorf(msg,
// ...) and, if msg starts with a string literal ("a: " + b included),
// returns that literal's value.
func errorMessage(e ast.Expr) (msg string, made, literal bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) == 0 {
		return "", false, false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", false, false
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok || !(pkg.Name == "errors" && sel.Sel.Name == "New" || pkg.Name == "fmt" && sel.Sel.Name == "Errorf") {
		return "", false, false
	}
	arg := call.Args[0]
	for {
		b, ok := arg.(*ast.BinaryExpr) // "a: " + "b"
		if !ok {
			break
		}
		arg = b.X
	}
	lit, ok := arg.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", true, false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, true, err == nil
}

// fieldNames returns a struct field's names, or its type's name if it is
// embedded.
func fieldNames(f *ast.Field) []string {
	if len(f.Names) == 0 {
		return []string{receiverType(f.Type)}
	}
	var names []string
	for _, n := range f.Names {
		names = append(names, n.Name)
	}
	return names
}

// receiverType returns the name of the type of a receiver (or of an
// embedded field): T of T, *T, T[P], pkg.T.
func receiverType(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.SelectorExpr:
			return x.Sel.Name
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// TestConventionsHeuristics checks the guesses TestConventions makes from
// text: which comments state a zero value, and which messages it reads.
func TestConventionsHeuristics(t *testing.T) {
	for _, tc := range []struct {
		comment string
		want    bool
	}{
		{"Zero means DefaultPingInterval (5 s).", true},
		{"Nil means slog.Default().", true},
		{"False omits it.", true},
		{"1,000 by default.", true},
		{"a negative value sends 0, which disables caching", true},
		{"addresses (\"10.0.0.7\") whose requests are never limited", false},
		{"a rate of 0.5 a second", false},
		{"how often the connection checks the broker is there", false},
	} {
		if got := saysZero(tc.comment); got != tc.want {
			t.Errorf("saysZero(%q) = %v, want %v", tc.comment, got, tc.want)
		}
	}
	for _, tc := range []struct {
		expr          string
		msg           string
		made, literal bool
	}{
		{`errors.New("dos: invalid configuration")`, "dos: invalid configuration", true, true},
		{`fmt.Errorf("natsbus: not connected: %w", cluster.ErrNotDelivered)`, "natsbus: not connected: %w", true, true},
		{`errors.New("h1: " + reason)`, "h1: ", true, true},
		{`errors.New(text)`, "", true, false},
		{`net.ErrClosed`, "", false, false},
		{`newError("x: y")`, "", false, false},
	} {
		e, err := parser.ParseExpr(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		msg, made, literal := errorMessage(e)
		if msg != tc.msg || made != tc.made || literal != tc.literal {
			t.Errorf("errorMessage(%s) = %q, %v, %v; want %q, %v, %v", tc.expr, msg, made, literal, tc.msg, tc.made, tc.literal)
		}
	}
}
