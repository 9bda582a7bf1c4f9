package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alecthomas/kong"
	"go.yaml.in/yaml/v3"
)

// yamlConfig loads a YAML file whose keys are flag names ("eth-http-url" or "eth_http_url"), as
// the defaults below environment variables and flags.
func yamlConfig(r io.Reader) (kong.Resolver, error) {
	values := map[string]any{}
	if err := yaml.NewDecoder(r).Decode(&values); err != nil && err != io.EOF {
		return nil, fmt.Errorf("parse config file: %w", err)
	}
	normalised := make(map[string]any, len(values))
	for k, v := range values {
		normalised[strings.ReplaceAll(k, "_", "-")] = v
	}
	var f kong.ResolverFunc = func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		v, ok := normalised[flag.Name]
		if !ok {
			return nil, nil
		}
		for _, env := range flag.Envs {
			if _, set := os.LookupEnv(env); set {
				// The environment overrides the file; kong consults resolvers after it.
				return nil, nil
			}
		}
		switch x := v.(type) {
		case []any:
			parts := make([]string, len(x))
			for i, p := range x {
				parts[i] = fmt.Sprint(p)
			}
			return strings.Join(parts, ","), nil
		case nil:
			return nil, nil
		default:
			return fmt.Sprint(x), nil
		}
	}
	return f, nil
}

// legacyArgs rewrites the original tool's spellings to ours: single-dash long flags
// (-registry-coordinator-addr) and dotted log flags (--log.level).
func legacyArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] >= 'a' && a[1] <= 'z' && strings.Contains(a, "-") && len(strings.SplitN(a[1:], "=", 2)[0]) > 1 {
			a = "-" + a
		}
		if strings.HasPrefix(a, "--log.") {
			a = "--log-" + strings.TrimPrefix(a, "--log.")
		}
		out = append(out, a)
	}
	return out
}
