package app_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kubu-gov/kubu/"

// webLayer are the packages that serve HTTP; layerUsers may import them.
var (
	webLayer   = []string{"internal/web", "internal/api", "internal/ui"}
	layerUsers = []string{"internal/web", "internal/api", "internal/ui", "internal/app", "internal/cli", "cmd/", "bench/"}
)

// TestDomainPackagesDoNotImportTheWebLayer fails when a domain package
// (anything but web, api, ui, app, cli and the commands) depends, directly
// or through another kubu package, on web, api or ui. The domain packages
// ask authz themselves and know nothing of HTTP.
func TestDomainPackagesDoNotImportTheWebLayer(t *testing.T) {
	root := filepath.Join("..", "..")
	imports := map[string][]string{} // package dir (relative to the module) → kubu packages it imports
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || strings.HasPrefix(n, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		if _, ok := imports[pkg]; !ok {
			imports[pkg] = nil
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if after, ok := strings.CutPrefix(p, module); ok && !slices.Contains(imports[pkg], after) {
				imports[pkg] = append(imports[pkg], after)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) < 20 || imports["internal/registry"] == nil && imports["internal/authz"] == nil {
		t.Fatalf("found only %d packages; is the walk rooted at the module?", len(imports))
	}
	checked := 0
	for pkg := range imports {
		if layerUser(pkg) {
			continue
		}
		checked++
		if p := webLayerPath(imports, pkg, map[string]bool{}); p != nil {
			t.Errorf("domain package %s depends on the web layer: %s", pkg, strings.Join(p, " → "))
		}
	}
	if checked < 15 {
		t.Fatalf("checked only %d domain packages", checked)
	}
}

func layerUser(pkg string) bool {
	return slices.ContainsFunc(layerUsers, func(p string) bool {
		return pkg == p || strings.HasSuffix(p, "/") && strings.HasPrefix(pkg, p)
	})
}

// webLayerPath returns a chain of imports from pkg to a web-layer package,
// or nil.
func webLayerPath(imports map[string][]string, pkg string, seen map[string]bool) []string {
	if seen[pkg] {
		return nil
	}
	seen[pkg] = true
	for _, im := range imports[pkg] {
		if slices.Contains(webLayer, im) {
			return []string{pkg, im}
		}
		if p := webLayerPath(imports, im, seen); p != nil {
			return append([]string{pkg}, p...)
		}
	}
	return nil
}

// TestLayerCheckCatchesAnImport proves the check sees direct and indirect
// dependencies, and lets the web layer and the commands through.
func TestLayerCheckCatchesAnImport(t *testing.T) {
	imports := map[string][]string{
		"internal/registry": {"internal/authz", "internal/helper"},
		"internal/helper":   {"internal/store", "internal/ui"},
		"internal/findings": {"internal/web"},
		"internal/authz":    {"internal/audit"},
	}
	if p := webLayerPath(imports, "internal/registry", map[string]bool{}); strings.Join(p, " ") != "internal/registry internal/helper internal/ui" {
		t.Errorf("indirect import: %v", p)
	}
	if p := webLayerPath(imports, "internal/findings", map[string]bool{}); len(p) != 2 {
		t.Errorf("direct import: %v", p)
	}
	if p := webLayerPath(imports, "internal/authz", map[string]bool{}); p != nil {
		t.Errorf("clean package: %v", p)
	}
	if !layerUser("internal/ui") || !layerUser("bench/vdpbench") || !layerUser("cmd/kubu") || layerUser("internal/registry") || layerUser("internal/uix") {
		t.Error("layerUser")
	}
}
