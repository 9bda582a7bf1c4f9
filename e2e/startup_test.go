package e2e

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
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
