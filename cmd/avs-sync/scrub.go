package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"
)

// scrubber keeps secrets out of logs, error messages and what the process prints: node URLs,
// which often carry an API key in their user info, path or query, become their redacted form,
// and each secret part of them, wherever it shows up on its own, a placeholder; keys and API
// secrets become a placeholder. A URL is matched as typed (trailing newline of a Kubernetes Secret
// and all), trimmed, as Go re-encodes it (%20, %0A, a password masked by url.URL.Redacted or the
// HTTP client) and quoted (%q, JSON); its parts are matched whatever surrounds them, so an error
// that quotes the URL in a form not foreseen here still loses the key.
type scrubber struct{ r *strings.Replacer }

// secretFlags are flags whose values must never be printed.
var secretFlags = map[string]bool{"ecdsa-private-key": true, "fireblocks-api-key": true}

// urlFlags are flags whose values are printed redacted.
var urlFlags = map[string]bool{"eth-http-url": true, "eth-ws-url": true, "fireblocks-api-url": true}

// Parts shorter than these are left alone: replacing "v3" or "rpc" everywhere would garble the
// logs and hide nothing. API keys are longer; user names and passwords are taken from 4 bytes.
const (
	minSecret   = 8
	minPart     = 8
	minUserInfo = 4
)

// redacted replaces a secret or a secret part of a URL.
const redacted = "[redacted]"

// secretValue is a value given for a secret or URL flag, as it was given.
type secretValue struct {
	v   string
	url bool
}

// newScrubber scrubs the given values.
func newScrubber(values []secretValue) scrubber {
	pairs := map[string]string{}
	for _, s := range values {
		if s.url {
			urlNeedles(s.v, pairs)
		} else {
			secretNeedles(s.v, pairs)
		}
	}
	needles := make([]string, 0, len(pairs))
	for n, r := range pairs {
		if n != "" && n != r {
			needles = append(needles, n)
		}
	}
	// At one position the replacer takes the first needle in argument order that matches: the
	// whole URL before its parts.
	slices.SortFunc(needles, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	args := make([]string, 0, 2*len(needles))
	for _, n := range needles {
		args = append(args, n, pairs[n])
	}
	return scrubber{strings.NewReplacer(args...)}
}

// flagSecrets are the secret and URL flags' values kong parsed (the config file's and defaults
// included, trimmed where the flag trims).
func flagSecrets(kctx *kong.Context) []secretValue {
	var out []secretValue
	for _, f := range kctx.Flags() {
		if v, ok := kctx.FlagValue(f).(string); ok && (secretFlags[f.Name] || urlFlags[f.Name]) {
			out = append(out, secretValue{v: v, url: urlFlags[f.Name]})
		}
	}
	return out
}

// rawSecrets are the secret and URL flags' values as given on the command line and in the
// environment, before kong parses (or fails to parse) them: what an error may quote as typed.
func rawSecrets(app *kong.Application, args, environ []string) []secretValue {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	var out []secretValue
	seen := map[string]bool{}
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, f := range n.Flags {
			if (!secretFlags[f.Name] && !urlFlags[f.Name]) || seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			isURL := urlFlags[f.Name]
			for _, e := range f.Envs {
				if v, ok := env[e]; ok {
					out = append(out, secretValue{v: v, url: isURL})
				}
			}
			for i, a := range args {
				switch {
				case a == "--"+f.Name && i+1 < len(args):
					out = append(out, secretValue{v: args[i+1], url: isURL})
				case strings.HasPrefix(a, "--"+f.Name+"="):
					out = append(out, secretValue{v: strings.TrimPrefix(a, "--"+f.Name+"="), url: isURL})
				}
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	if app != nil {
		walk(app.Node)
	}
	return out
}

// urlNeedles adds the forms of a node URL and its secret parts.
func urlNeedles(raw string, pairs map[string]string) {
	trimmed := strings.TrimSpace(raw)
	shown := redact(trimmed)
	if len(trimmed) < minPart {
		// Too short to hold a key, and replacing it would garble every text it appears in.
		return
	}
	for _, form := range []string{raw, trimmed} {
		for _, v := range variants(form) {
			pairs[v] = shown
		}
	}
	u, err := url.Parse(trimmed)
	if err != nil {
		// Not a URL: any longer run between its separators may be a key.
		for _, p := range strings.FieldsFunc(trimmed, func(r rune) bool { return strings.ContainsRune("/?&=@:#; \t\r\n", r) }) {
			addPart(pairs, p, minPart)
		}
		return
	}
	for _, v := range append(variants(u.String()), variants(u.Redacted())...) {
		pairs[v] = shown
	}
	if u.User != nil {
		addPart(pairs, u.User.Username(), minUserInfo)
		if p, ok := u.User.Password(); ok {
			addPart(pairs, p, minUserInfo)
		}
		addPart(pairs, u.User.String(), minUserInfo)
	}
	for _, path := range []string{u.Path, u.EscapedPath()} {
		for _, seg := range strings.Split(path, "/") {
			addPart(pairs, seg, minPart)
		}
	}
	if !strings.Contains(u.RawQuery, "=") {
		addPart(pairs, u.RawQuery, minPart)
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			addPart(pairs, v, minPart)
		}
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		if _, v, ok := strings.Cut(kv, "="); ok {
			addPart(pairs, v, minPart)
		}
	}
	addPart(pairs, u.Fragment, minPart)
}

// secretNeedles adds the forms of a key or API secret.
func secretNeedles(raw string, pairs map[string]string) {
	trimmed := strings.TrimSpace(raw)
	bare := strings.TrimPrefix(strings.TrimPrefix(trimmed, "0x"), "0X")
	for _, form := range []string{raw, trimmed, bare, "0x" + bare} {
		if len(strings.TrimSpace(form)) >= minSecret {
			for _, v := range variants(form) {
				pairs[v] = redacted
			}
		}
	}
}

// addPart adds a secret part of a URL, in its encodings, if it is at least min bytes long.
func addPart(pairs map[string]string, p string, min int) {
	if len(strings.TrimSpace(p)) < min {
		return
	}
	for _, v := range variants(p) {
		if len(v) >= min {
			pairs[v] = redacted
		}
	}
}

// variants are s as errors and logs may render it: as is, unescaped, escaped for a path or a
// query, and quoted by %q or JSON.
func variants(s string) []string {
	out := []string{s}
	if v, err := url.PathUnescape(s); err == nil {
		out = append(out, v)
	}
	if v, err := url.QueryUnescape(s); err == nil {
		out = append(out, v)
	}
	for _, v := range slices.Clone(out) {
		q := strconv.Quote(v)
		j, _ := json.Marshal(v)
		out = append(out, url.PathEscape(v), url.QueryEscape(v), q[1:len(q)-1], string(j[1:len(j)-1]))
	}
	slices.Sort(out)
	return slices.Compact(out)
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

// attr is a slog ReplaceAttr that scrubs string and error values, and any other value whose
// printed form carries a secret.
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
		default:
			if text := fmt.Sprintf("%+v", v); s.String(text) != text {
				a.Value = slog.StringValue(s.String(text))
			}
		}
	}
	return a
}

// urlLike and keyLike find what may be a secret in text nothing else is known about: a URL,
// or a private key's 64 hex digits.
var (
	urlLike = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)
	keyLike = regexp.MustCompile(`\b(0[xX])?[0-9a-fA-F]{64}\b`)
)

// parseError scrubs an error of the command line's parsing, which may quote a value given to the
// wrong flag or none: beyond the configured secrets, every URL is redacted and every key hidden.
func (s scrubber) parseError(err error) string {
	text := s.Error(err)
	text = urlLike.ReplaceAllStringFunc(text, func(u string) string {
		t := strings.TrimRight(u, `.,;)`)
		return redact(t) + u[len(t):]
	})
	return keyLike.ReplaceAllString(text, redacted)
}

// scrubWriter scrubs what goes through it line by line, so that a secret split across two
// writes is still found; Flush writes out the last, unterminated line.
type scrubWriter struct {
	w   io.Writer
	s   scrubber
	buf []byte
}

func (w *scrubWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if i := bytes.LastIndexByte(w.buf, '\n'); i >= 0 {
		lines := w.buf[:i+1]
		if _, err := io.WriteString(w.w, w.s.String(string(lines))); err != nil {
			return 0, err
		}
		w.buf = append(w.buf[:0], w.buf[i+1:]...)
	}
	return len(p), nil
}

// Flush writes what is buffered.
func (w *scrubWriter) Flush() {
	if len(w.buf) > 0 {
		_, _ = io.WriteString(w.w, w.s.String(string(w.buf)))
		w.buf = w.buf[:0]
	}
}
