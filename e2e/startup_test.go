package e2e

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/internal/rpcproxy"
)

// A node that answers every HTTP request 503 at start-up: the process stays up, /readyz answers
// 503 saying why (the node's error cut short) and /healthz 200, a few log lines, not one per try;
// once the node answers, it starts, becomes ready and stores a deposit.
func TestStartupOnFailingNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain and avs-sync")
	}
	e := newEnv(t, 2, 0)
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	down := p.Inject(rpcproxy.Fault{HTTPStatus: http.StatusServiceUnavailable, Transport: "http"})
	args := append([]string{"--state-dir", t.TempDir()}, chaosFlags...)
	w := e.startWatch("starting", p.HTTPURL(), p.WSURL(), args...)
	var why string
	e.waitFor("/readyz 503 naming the node's answer", 60*time.Second, func() bool {
		w.alive(t)
		code, body := get(w.metrics + "/readyz")
		why = body
		return code == http.StatusServiceUnavailable && strings.Contains(body, "503")
	})
	t.Logf("/readyz while the node fails: %q", why)
	if len(why) > 400 {
		t.Errorf("/readyz body of %d bytes, want the node's error cut short", len(why))
	}
	if code := httpStatus(w.metrics + "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d while starting: the process is not wedged", code)
	}
	// Three tries at least (1 s, then 2 s apart).
	e.waitFor("a third try", 30*time.Second, func() bool { w.alive(t); return p.Hits(down) >= 3 })
	p.Remove(down)
	cleared := e.head()
	e.waitUp(w)
	t.Logf("ready %d blocks after the node answered", e.head()-cleared)
	var lines int
	for _, line := range strings.Split(w.log(), "\n") {
		if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
			lines++
		}
	}
	if lines > 4 {
		t.Errorf("%d warning lines for a start-up fault, want a few:\n%s", lines, w.log())
	}
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the deposit stored", 60*time.Second, func() bool { w.alive(t); return e.fresh(e.ops[0].Address) })
}

// get returns a URL's status and body; 0 if it could not be fetched.
func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Start-up failures that are the chain's state, not bad input, keep watch up and trying, /readyz
// saying which: a node not yet synced (no code at the AVS's addresses), a sender with no ETH yet.
// Once the node has the contracts and the sender is funded, it starts and stores a deposit. A
// malformed key still exits 2 at once.
func TestStartupWaitsForSyncAndFunds(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain and avs-sync")
	}
	e := newEnv(t, 2, 1)
	r := e.runCLI("watch", "--eth-http-url", e.d.HTTPURL, "--log-format", "json",
		"--registry-coordinator-addr", e.d.Addresses.RegistryCoordinator.Hex(),
		"--operator-state-retriever-addr", e.d.Addresses.OperatorStateRetriever.Hex(), "--ecdsa-private-key", "nothex")
	if r.code != 2 || errorLines(r.stderr) != 1 || !strings.Contains(r.stderr, "private key") {
		t.Fatalf("watch with a malformed key: exit %d, want 2 with one line naming the key:\n%s", r.code, r.stderr)
	}

	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	// A node still syncing: no code anywhere yet.
	unsynced := p.Inject(rpcproxy.Fault{Method: "eth_getCode", Result: json.RawMessage(`"0x"`)})
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	args := append([]string{"--state-dir", t.TempDir(), "--ecdsa-private-key", hex.EncodeToString(crypto.FromECDSA(key))}, chaosFlags...)
	w := e.startWatch("starting", p.HTTPURL(), p.WSURL(), args...)
	readyz := func(what, want string) {
		t.Helper()
		var body string
		e.waitFor("/readyz saying "+what, 60*time.Second, func() bool {
			w.alive(t)
			var code int
			code, body = get(w.metrics + "/readyz")
			return code == http.StatusServiceUnavailable && strings.Contains(body, want)
		})
		t.Logf("/readyz while %s: %q", what, body)
	}
	readyz("the node is not synced", "no contract")
	e.waitFor("a second try", 30*time.Second, func() bool { w.alive(t); return p.Hits(unsynced) >= 2 })
	p.Remove(unsynced)
	readyz("the sender holds no ETH", "no ETH")
	// Funded from another devnet account.
	client, err := ethclient.Dial(e.d.HTTPURL)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	funder := e.d.Key(3 + len(e.ops)) // the extra account
	nonce, err := client.PendingNonceAt(e.ctx, crypto.PubkeyToAddress(funder.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := types.SignNewTx(funder, types.LatestSignerForChainID(big.NewInt(devnet.ChainID)), &types.DynamicFeeTx{
		ChainID: big.NewInt(devnet.ChainID), Nonce: nonce, GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(100 * params.GWei),
		Gas: params.TxGas, To: &addr, Value: eth(10),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.SendTransaction(e.ctx, tx); err != nil {
		t.Fatal(err)
	}
	e.waitUp(w)
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the deposit stored", 60*time.Second, func() bool { w.alive(t); return e.fresh(e.ops[0].Address) })
}

// A signer whose key is in AWS Secrets Manager, while Secrets Manager fails: watch stays up and
// tries again, /readyz naming the key service (never the key or the service's error text); once
// the secret is served it starts and stores a deposit. The key appears in no log line.
func TestStartupWaitsForKeyService(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain and avs-sync")
	}
	e := newEnv(t, 2, 0)
	var up atomic.Bool
	var asked atomic.Int32
	sm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if !up.Load() || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"__type":"ServiceUnavailableException","message":"down for maintenance"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:avs-sync-key",
			"Name": "avs-sync-key", "SecretString": e.senderKey, "VersionId": "1"})
	}))
	t.Cleanup(sm.Close)
	env := []string{"AVS_SYNC_ECDSA_PRIVATE_KEY=", "AWS_ENDPOINT_URL=" + sm.URL, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
	args := append([]string{"--state-dir", t.TempDir(), "--secret-manager-ecdsa-private-key-name", "avs-sync-key",
		"--secret-manager-region", "us-east-1"}, chaosFlags...)
	w := e.startWatchEnv("starting", e.d.HTTPURL, e.d.WSURL, env, args...)
	var why string
	e.waitFor("/readyz naming the key service", 60*time.Second, func() bool {
		w.alive(t)
		var code int
		code, why = get(w.metrics + "/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(why, "key service")
	})
	t.Logf("/readyz while Secrets Manager fails: %q", why)
	if strings.Contains(why, "maintenance") {
		t.Errorf("/readyz quotes the service's error: %q", why)
	}
	e.waitFor("a second start-up try", 60*time.Second, func() bool { w.alive(t); return asked.Load() >= 6 })
	up.Store(true)
	e.waitUp(w)
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the deposit stored", 60*time.Second, func() bool { w.alive(t); return e.fresh(e.ops[0].Address) })
	if strings.Contains(w.log(), e.senderKey) {
		t.Fatal("the key from Secrets Manager appears in the log")
	}
}

// The first load of quorums and operators fails after start-up succeeded (every
// OperatorStateRetriever call refused): watch stays up and loads again with backoff, /readyz
// saying it is loading and why in words of its own; once the node answers, it starts and stores
// a deposit.
func TestStartupLoadFailureRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain and avs-sync")
	}
	e := newEnv(t, 2, 0)
	p, err := rpcproxy.New(e.d.HTTPURL, e.d.WSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	osr := strings.ToLower(e.d.Addresses.OperatorStateRetriever.Hex())
	refused := p.Inject(rpcproxy.Fault{Method: "eth_call",
		Match: func(params json.RawMessage) bool { return strings.Contains(strings.ToLower(string(params)), osr) },
		Error: &rpcproxy.RPCError{Code: -32000, Message: "execution aborted (timeout = 5s)"}})
	w := e.startWatch("loading", p.HTTPURL(), p.WSURL(), append([]string{"--state-dir", t.TempDir()}, chaosFlags...)...)
	var why string
	e.waitFor("/readyz saying the load fails", 60*time.Second, func() bool {
		w.alive(t)
		var code int
		code, why = get(w.metrics + "/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(why, "loading AVS state: ") && strings.Contains(why, "2 tries")
	})
	t.Logf("/readyz while the load fails: %q", why)
	if strings.Contains(why, "execution aborted") {
		t.Errorf("/readyz quotes the node's error: %q", why)
	}
	p.Remove(refused)
	e.waitUp(w)
	if _, err := e.ops[0].Deposit(e.ctx, eth(1)); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the deposit stored", 60*time.Second, func() bool { w.alive(t); return e.fresh(e.ops[0].Address) })
}
