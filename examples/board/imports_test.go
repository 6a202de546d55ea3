package main

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The board is written as a user would write theirs, so its program (not
// its tests) imports no internal package of the module, which a user's
// program could not import.
func TestImportsNothingInternal(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		pf, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range pf.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if isInternal(p) {
				t.Errorf("%s imports %s, which a user's program cannot", f, p)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d program files found: the glob is broken", checked)
	}
}

func isInternal(path string) bool {
	return strings.HasPrefix(path, "github.com/wharf-go/wharf/") &&
		(strings.Contains(path, "/internal/") || strings.HasSuffix(path, "/internal"))
}

func TestIsInternal(t *testing.T) {
	for path, want := range map[string]bool{
		"github.com/wharf-go/wharf/internal/natsembed":       true,
		"github.com/wharf-go/wharf/examples/internal/cli":    true,
		"github.com/wharf-go/wharf/internal":                 true,
		"github.com/wharf-go/wharf/session/natskv":           false,
		"github.com/wharf-go/wharf/api":                      false,
		"github.com/nats-io/nats-server/v2/server":           false,
		"github.com/nats-io/nats-server/v2/internal/ldap":    false, // not ours: go.mod's business
		"github.com/wharf-go/wharf/examples/internalization": false,
	} {
		if got := isInternal(path); got != want {
			t.Errorf("isInternal(%q) = %v, want %v", path, got, want)
		}
	}
}
