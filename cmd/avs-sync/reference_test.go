package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/reference from the code")

// docs/reference/flags.md is the kong model of the CLI, rendered; it fails when they drift.
func TestFlagsReference(t *testing.T) {
	checkGenerated(t, "../../docs/reference/flags.md", flagsReference(t))
}

// docs/reference/metrics.md is every metric the code defines (its *Opts literals), rendered.
func TestMetricsReference(t *testing.T) {
	checkGenerated(t, "../../docs/reference/metrics.md", metricsReference(t))
}

func checkGenerated(t *testing.T, path string, want []byte) {
	t.Helper()
	if *updateDocs {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the code: run go test ./cmd/avs-sync -run Reference -update", path)
	}
}

func flagsReference(t *testing.T) []byte {
	var cli CLI
	k, err := newParser(&cli, io.Discard, io.Discard, kong.Exit(func(int) {}))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		flag     *kong.Flag
		commands []string
	}
	rows := map[string]*row{}
	var order []string
	add := func(cmd string, f *kong.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		r, ok := rows[f.Name]
		if !ok {
			r = &row{flag: f}
			rows[f.Name] = r
			order = append(order, f.Name)
		}
		if !slices.Contains(r.commands, cmd) {
			r.commands = append(r.commands, cmd)
		}
	}
	for _, f := range k.Model.Flags {
		add("all", f)
	}
	for _, c := range k.Model.Children {
		name := c.Name
		if c.Hidden && c.DefaultCmd == nil && name != "sync" {
			continue
		}
		if name == "sync" {
			name = "(none)"
		}
		if name == "install-completions" || name == "version" {
			continue
		}
		for _, group := range c.AllFlags(true) {
			for _, f := range group {
				add(name, f)
			}
		}
	}
	var b strings.Builder
	b.WriteString("# Flags\n\n<!-- Generated from the CLI by `go test ./cmd/avs-sync -run Reference -update`; do not edit. -->\n\n")
	b.WriteString("Every flag is also an environment variable (shown) and a key of the `--config` YAML file; flags\n")
	b.WriteString("override the environment, which overrides the file. `(none)` is the bare command, the original tool's\n")
	b.WriteString("behaviour. `all` flags apply to every command.\n\n")
	b.WriteString("| flag | environment | default | commands | |\n|---|---|---|---|---|\n")
	for _, name := range order {
		r := rows[name]
		f := r.flag
		def := f.Default
		if def != "" {
			def = "`" + def + "`"
		}
		env := ""
		for i, e := range f.Envs {
			if i > 0 {
				env += ", "
			}
			env += "`" + e + "`"
		}
		cmds := strings.Join(r.commands, ", ")
		if slices.Contains(r.commands, "all") {
			cmds = "all"
		}
		help := strings.ReplaceAll(f.Help, "|", "\\|")
		fmt.Fprintf(&b, "| `--%s` | %s | %s | %s | %s |\n", f.Name, env, def, cmds, help)
	}
	return []byte(b.String())
}

type metricDoc struct {
	name, kind, help, labels, pkg string
}

// metricsReference reads every prometheus.*Opts literal of the non-test code: the code is the truth.
func metricsReference(t *testing.T) []byte {
	root := "../.."
	var docs []metricDoc
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "e2e", "internal", "bench-results", "bin", "docs", "deploy":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		consts := stringConsts(f)
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		// Local constructors such as gauge := func(name, help string) prometheus.Gauge {...}:
		// their calls define metrics with the literal's kind and namespace.
		closures := map[string]metricDoc{}
		ast.Inspect(f, func(n ast.Node) bool {
			if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == 1 && len(as.Rhs) == 1 {
				if id, ok := as.Lhs[0].(*ast.Ident); ok {
					if fl, ok := as.Rhs[0].(*ast.FuncLit); ok {
						ast.Inspect(fl.Body, func(n ast.Node) bool {
							if lit, ok := n.(*ast.CompositeLit); ok {
								if sel, ok := lit.Type.(*ast.SelectorExpr); ok && strings.HasSuffix(sel.Sel.Name, "Opts") {
									m := metricDoc{kind: strings.ToLower(strings.TrimSuffix(sel.Sel.Name, "Opts"))}
									for _, e := range lit.Elts {
										if kv, ok := e.(*ast.KeyValueExpr); ok {
											if key, _ := kv.Key.(*ast.Ident); key != nil && key.Name == "Namespace" {
												m.name = stringValue(kv.Value, consts)
											}
										}
									}
									closures[id.Name] = m
								}
							}
							return true
						})
					}
				}
			}
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); ok && len(call.Args) == 2 {
				if c, ok := closures[id.Name]; ok {
					docs = append(docs, metricDoc{name: c.name + "_" + stringValue(call.Args[0], consts), kind: c.kind,
						help: stringValue(call.Args[1], consts), pkg: filepath.ToSlash(rel)})
					return true
				}
			}
			lit, ok := call.Args[0].(*ast.CompositeLit)
			if !ok {
				return true
			}
			sel, ok := lit.Type.(*ast.SelectorExpr)
			if !ok || !strings.HasSuffix(sel.Sel.Name, "Opts") {
				return true
			}
			m := metricDoc{kind: strings.ToLower(strings.TrimSuffix(sel.Sel.Name, "Opts")), pkg: filepath.ToSlash(rel)}
			var ns, sub string
			for _, e := range lit.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key, _ := kv.Key.(*ast.Ident)
				if key == nil {
					continue
				}
				v := stringValue(kv.Value, consts)
				switch key.Name {
				case "Namespace":
					ns = v
				case "Subsystem":
					sub = v
				case "Name":
					m.name = v
				case "Help":
					m.help = v
				}
			}
			if m.name == "" {
				return true
			}
			m.name = strings.Join(slices.DeleteFunc([]string{ns, sub, m.name}, func(s string) bool { return s == "" }), "_")
			if len(call.Args) > 1 {
				if labels, ok := call.Args[1].(*ast.CompositeLit); ok {
					var ls []string
					for _, e := range labels.Elts {
						ls = append(ls, stringValue(e, consts))
					}
					m.labels = strings.Join(ls, ", ")
				}
			}
			docs = append(docs, m)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].name < docs[j].name })
	var b strings.Builder
	b.WriteString("# Metrics\n\n<!-- Generated from the code by `go test ./cmd/avs-sync -run Reference -update`; do not edit. -->\n\n")
	b.WriteString("Every metric avs-sync defines, with the help text it serves on `/metrics`. The original tool's names\n")
	b.WriteString("(`avssync_update_stake_attempt`, `avssync_tx_reverted_total`, `avssync_operators_updated`) and the SDK's\n")
	b.WriteString("RPC collector (`eigen_rpc_*`) are kept.\n\n")
	b.WriteString("| metric | type | labels | defined in | help |\n|---|---|---|---|---|\n")
	for _, m := range docs {
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %s |\n", m.name, m.kind, m.labels, m.pkg, strings.ReplaceAll(m.help, "|", "\\|"))
	}
	if len(docs) < 20 {
		t.Fatalf("found %d metrics in the code; the reader missed their definitions", len(docs))
	}
	return []byte(b.String())
}

// stringConsts maps the file's string constants, so Namespace: namespace resolves.
func stringConsts(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					out[n.Name] = stringValue(vs.Values[i], out)
				}
			}
		}
	}
	return out
}

func stringValue(e ast.Expr, consts map[string]string) string {
	switch v := e.(type) {
	case *ast.BasicLit:
		if s, err := strconv.Unquote(v.Value); err == nil {
			return s
		}
	case *ast.Ident:
		return consts[v.Name]
	case *ast.BinaryExpr:
		return stringValue(v.X, consts) + stringValue(v.Y, consts)
	}
	return "?"
}
