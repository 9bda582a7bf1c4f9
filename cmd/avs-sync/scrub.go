package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/alecthomas/kong"
)

// scrubber keeps secrets out of logs and error messages: node URLs, which often carry an API key
// in their path or query, become their redacted form; keys and API secrets become a placeholder.
// Errors from HTTP clients quote the full URL, so every string and error attribute is scrubbed.
type scrubber struct{ r *strings.Replacer }

// secretFlags are flags whose values must never be printed.
var secretFlags = map[string]bool{"ecdsa-private-key": true, "fireblocks-api-key": true}

// urlFlags are flags whose values are printed redacted.
var urlFlags = map[string]bool{"eth-http-url": true, "eth-ws-url": true}

func newScrubber(kctx *kong.Context) scrubber {
	var pairs []string
	for _, f := range kctx.Flags() {
		v, ok := kctx.FlagValue(f).(string)
		if !ok || len(v) < 8 {
			continue
		}
		switch {
		case secretFlags[f.Name]:
			pairs = append(pairs, v, "[redacted]")
		case urlFlags[f.Name]:
			if r := redact(v); r != v {
				pairs = append(pairs, v, r)
			}
		}
	}
	return scrubber{strings.NewReplacer(pairs...)}
}

// String scrubs one text.
func (s scrubber) String(v string) string {
	if s.r == nil {
		return v
	}
	return s.r.Replace(v)
}

// Error scrubs an error's text.
func (s scrubber) Error(err error) string { return s.String(err.Error()) }

// attr is a slog ReplaceAttr that scrubs string and error values.
func (s scrubber) attr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(s.String(a.Value.String()))
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			a.Value = slog.StringValue(s.Error(v))
		case fmt.Stringer:
			a.Value = slog.StringValue(s.String(v.String()))
		}
	}
	return a
}
