package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, args ...string) (*CLI, string) {
	t.Helper()
	var cli CLI
	p, err := newParser(&cli, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	kctx, err := p.Parse(legacyArgs(args))
	if err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return &cli, kctx.Command()
}

// The original tool's compose files set these variables; each must land in the same setting.
func TestOriginalEnvVars(t *testing.T) {
	env := map[string]string{
		"AVS_SYNC_REGISTRY_COORDINATOR_ADDR":                 "0x95401dc811bb5740090279Ba06cfA8fcF6113778",
		"AVS_SYNC_OPERATOR_STATE_RETRIEVER_ADDR":             "0x0E801D84Fa97b50751Dbf25036d067dCf18858bF",
		"AVS_SYNC_SERVICE_MANAGER_ADDR":                      "0xa82fF9aFd8f496c3d6ac40E2a0F282E47488CFc9",
		"AVS_SYNC_DONT_USE_ALLOCATION_MANAGER":               "true",
		"AVS_SYNC_ETH_HTTP_URL":                              "http://node:8545",
		"AVS_SYNC_SYNC_INTERVAL":                             "12h",
		"AVS_SYNC_PROMETHEUS_SERVER_ADDR":                    ":9191",
		"AVS_SYNC_FIRST_SYNC_TIME":                           "03:04:05",
		"AVS_SYNC_OPERATORS":                                 "0x1111111111111111111111111111111111111111,0x2222222222222222222222222222222222222222",
		"AVS_SYNC_QUORUMS":                                   "0,2",
		"AVS_SYNC_FETCH_QUORUMS_DYNAMICALLY":                 "false",
		"AVS_SYNC_READER_TIMEOUT_DURATION":                   "7s",
		"AVS_SYNC_WRITER_TIMEOUT_DURATION":                   "120s",
		"AVS_SYNC_RETRY_SYNC_N_TIMES":                        "5",
		"AVS_SYNC_USE_FIREBLOCKS":                            "true",
		"AVS_SYNC_SECRET_MANAGER_REGION":                     "us-east-1",
		"AVS_SYNC_SECRET_MANAGER_ECDSA_PRIVATE_KEY_NAME":     "pk",
		"AVS_SYNC_ECDSA_PRIVATE_KEY":                         "abcd",
		"AVS_SYNC_SECRET_MANAGER_FIREBLOCKS_API_KEY_NAME":    "fbkey",
		"AVS_SYNC_FIREBLOCKS_API_KEY":                        "key",
		"AVS_SYNC_SECRET_MANAGER_FIREBLOCKS_API_SECRET_NAME": "fbsecret",
		"AVS_SYNC_FIREBLOCKS_API_SECRET_PATH":                "/secret",
		"AVS_SYNC_FIREBLOCKS_API_URL":                        "https://sandbox-api.fireblocks.io",
		"AVS_SYNC_FIREBLOCKS_VAULT_ACCOUNT_NAME":             "vault",
		"AVS_SYNC_LOG_LEVEL":                                 "debug",
		"AVS_SYNC_LOG_FORMAT":                                "text",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cli, cmd := parse(t)
	if cmd != "sync" {
		t.Fatalf("bare command ran %q, want the original's periodic sync", cmd)
	}
	c := cli.Sync
	checks := []struct {
		name      string
		got, want any
	}{
		{"registry coordinator", c.Contracts.RegistryCoordinatorAddr, env["AVS_SYNC_REGISTRY_COORDINATOR_ADDR"]},
		{"operator state retriever", c.Contracts.OperatorStateRetrieverAddr, env["AVS_SYNC_OPERATOR_STATE_RETRIEVER_ADDR"]},
		{"service manager", c.Contracts.ServiceManagerAddr, env["AVS_SYNC_SERVICE_MANAGER_ADDR"]},
		{"dont use allocation manager", c.Contracts.DontUseAllocationManager, true},
		{"http url", c.Node.EthHTTPURL, "http://node:8545"},
		{"sync interval", c.Sync.SyncInterval, 12 * time.Hour},
		{"metrics addr", c.Metrics.MetricsAddr, ":9191"},
		{"first sync time", c.Sync.FirstSyncTime, "03:04:05"},
		{"operators", strings.Join(c.Sync.Operators, ","), env["AVS_SYNC_OPERATORS"]},
		{"quorums", len(c.Sync.Quorums) == 2 && c.Sync.Quorums[1] == 2, true},
		{"fetch quorums dynamically", c.Sync.FetchQuorumsDynamically, false},
		{"reader timeout", c.Node.ReaderTimeoutDuration, 7 * time.Second},
		{"writer timeout", c.Sync.WriterTimeoutDuration, 120 * time.Second},
		{"retries", c.Sync.RetrySyncNTimes, 5},
		{"use fireblocks", c.Signer.UseFireblocks, true},
		{"secret manager region", c.Signer.SecretManagerRegion, "us-east-1"},
		{"secret manager key name", c.Signer.SecretManagerEcdsaPrivateKeyName, "pk"},
		{"private key", c.Signer.EcdsaPrivateKey, "abcd"},
		{"fireblocks key name", c.Signer.SecretManagerFireblocksAPIKeyName, "fbkey"},
		{"fireblocks key", c.Signer.FireblocksAPIKey, "key"},
		{"fireblocks secret name", c.Signer.SecretManagerFireblocksAPISecretName, "fbsecret"},
		{"fireblocks secret path", c.Signer.FireblocksAPISecretPath, "/secret"},
		{"fireblocks url", c.Signer.FireblocksAPIURL, "https://sandbox-api.fireblocks.io"},
		{"fireblocks vault", c.Signer.FireblocksVaultAccountName, "vault"},
		{"log level", cli.Log.LogLevel, "debug"},
		{"log format", cli.Log.LogFormat, "text"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// The original's flag spellings: urfave/cli accepted single-dash long flags and dotted log flags.
func TestOriginalFlagSpellings(t *testing.T) {
	cli, cmd := parse(t,
		"-registry-coordinator-addr", "0x95401dc811bb5740090279Ba06cfA8fcF6113778",
		"--operator-state-retriever-addr=0x0E801D84Fa97b50751Dbf25036d067dCf18858bF",
		"--eth-http-url", "http://localhost:8545",
		"--sync-interval", "0",
		"--metrics-addr", ":9999",
		"--log.level", "warn",
		"--log.format", "json",
		"--operators", "0x1111111111111111111111111111111111111111",
		"--operators", "0x2222222222222222222222222222222222222222",
		"--quorums", "1", "--quorums", "3",
		"--sleep-before-first-sync-duration", "2s",
	)
	if cmd != "sync" {
		t.Fatalf("command %q, want sync", cmd)
	}
	c := cli.Sync
	if c.Contracts.RegistryCoordinatorAddr != "0x95401dc811bb5740090279Ba06cfA8fcF6113778" || c.Sync.SyncInterval != 0 ||
		c.Metrics.MetricsAddr != ":9999" || cli.Log.LogLevel != "warn" || cli.Log.LogFormat != "json" ||
		len(c.Sync.Operators) != 2 || len(c.Sync.Quorums) != 2 || c.Sync.Quorums[1] != 3 || c.Sync.SleepBeforeFirstSync != 2*time.Second {
		t.Fatalf("parsed %+v", c)
	}
	if !c.Sync.FetchQuorumsDynamically {
		t.Error("fetch-quorums-dynamically must default to true, as in the original")
	}
	if c.Sync.SyncInterval != 0 {
		t.Error("--sync-interval 0 must survive parsing (sync once and exit)")
	}
}

// Flags override the environment, which overrides the config file.
func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "avs-sync.yaml")
	err := os.WriteFile(file, []byte(`
eth-http-url: http://from-file:8545
eth_ws_url: ws://from-file:8546
debounce: 5s
quorums: [0, 1]
sync-interval: 1h
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AVS_SYNC_ETH_WS_URL", "ws://from-env:8546")
	t.Setenv("AVS_SYNC_DEBOUNCE", "7s")
	cli, _ := parse(t, "watch", "--config", file, "--debounce", "9s")
	w := cli.Watch
	cases := []struct {
		name      string
		got, want any
	}{
		{"file only", w.Node.EthHTTPURL, "http://from-file:8545"},
		{"env over file", w.Node.EthWSURL, "ws://from-env:8546"},
		{"flag over env and file", w.Sync.Debounce, 9 * time.Second},
		{"file list", len(w.Sync.Quorums), 2},
		{"file duration", w.Sync.SyncInterval, time.Hour},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestHelpIsReadable(t *testing.T) {
	var out strings.Builder
	code := run(t.Context(), []string{"watch", "--help"}, &out, &out)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--eth-ws-url", "--registry-coordinator-addr", "--debounce", "Transaction signer", "AVS_SYNC_ETH_HTTP_URL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("watch --help lacks %q", want)
		}
	}
}

// Node URLs often carry an API key; errors from HTTP clients quote the URL in full. Neither the
// key in the URL nor the private key may reach the output.
func TestSecretsScrubbed(t *testing.T) {
	const apiKey = "SECRETAPIKEY123"
	const privateKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
	for _, format := range []string{"json", "text"} {
		var out strings.Builder
		code := run(t.Context(), []string{"sweep", "--log-format", format,
			"--eth-http-url", "http://127.0.0.1:1/v3/" + apiKey + "?key=" + apiKey,
			"--registry-coordinator-addr", "0x95401dc811bb5740090279Ba06cfA8fcF6113778",
			"--operator-state-retriever-addr", "0x0E801D84Fa97b50751Dbf25036d067dCf18858bF",
			"--ecdsa-private-key", privateKey,
		}, &out, &out)
		if code == 0 {
			t.Fatalf("%s: exit 0 with an unreachable node", format)
		}
		if strings.Contains(out.String(), apiKey) || strings.Contains(out.String(), privateKey) {
			t.Fatalf("%s: a secret reached the output:\n%s", format, out.String())
		}
		if !strings.Contains(out.String(), "127.0.0.1:1") {
			t.Fatalf("%s: the error no longer says which node:\n%s", format, out.String())
		}
	}
}

// The original's --use-fireblocks defaulted to true: a key wins over it, and Fireblocks
// credentials alone select Fireblocks.
func TestSignerSelection(t *testing.T) {
	tests := []struct {
		name           string
		flags          SignerFlags
		wantFireblocks bool
	}{
		{"key only", SignerFlags{EcdsaPrivateKey: "ab"}, false},
		{"key and use-fireblocks", SignerFlags{EcdsaPrivateKey: "ab", UseFireblocks: true}, false},
		{"fireblocks credentials only", SignerFlags{FireblocksAPIKey: "k", FireblocksAPISecretPath: "/s"}, true},
		{"fireblocks from secrets manager", SignerFlags{SecretManagerFireblocksAPIKeyName: "k"}, true},
		{"use-fireblocks", SignerFlags{UseFireblocks: true}, true},
		{"nothing", SignerFlags{}, false},
	}
	for _, tt := range tests {
		if got := signerConfig(tt.flags, "").Fireblocks.Enabled; got != tt.wantFireblocks {
			t.Errorf("%s: Fireblocks %v, want %v", tt.name, got, tt.wantFireblocks)
		}
	}
}

func TestKeyOnCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"watch", "--ecdsa-private-key", "ab"}, true},
		{[]string{"watch", "--ecdsa-private-key=ab"}, true},
		{[]string{"-ecdsa-private-key", "ab"}, true},
		{[]string{"watch", "--ecdsa-private-key-file", "/k"}, false},
		{[]string{"watch"}, false},
	}
	for _, tt := range tests {
		if got := keyOnCommandLine(tt.args); got != tt.want {
			t.Errorf("keyOnCommandLine(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
