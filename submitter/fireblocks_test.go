package submitter_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Layr-Labs/eigensdk-go/chainio/clients/fireblocks"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/params"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/submitter"
)

// devnetAsset is the Fireblocks asset id the fake gives the devnet's ETH.
const devnetAsset fireblocks.AssetID = "ETH_DEVNET"

// fakeFireblocks speaks the Fireblocks API endpoints the SDK's client calls. Transactions wait
// in PENDING_AUTHORIZATION until approve, which signs with the vault's key and broadcasts to the
// devnet; a cancel succeeds only while a transaction awaits authorization.
type fakeFireblocks struct {
	t        *testing.T
	client   *ethclient.Client
	key      *ecdsa.PrivateKey
	contract common.Address

	mu      sync.Mutex
	txs     []*fakeTx
	cancels int
	// polls counts status reads of each transaction.
	polls map[string]int
	// refuseCancel: the approver approves as the cancel arrives (too late to cancel).
	refuseCancel bool
}

type fakeTx struct {
	id     string
	status fireblocks.TxStatus
	req    fireblocks.TransactionRequest
	hash   common.Hash
}

func newFakeFireblocks(t *testing.T, client *ethclient.Client, key *ecdsa.PrivateKey, contract common.Address) (*fakeFireblocks, *httptest.Server) {
	f := &fakeFireblocks{t: t, client: client, key: key, contract: contract, polls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeFireblocks) serve(w http.ResponseWriter, r *http.Request) {
	addr := crypto.PubkeyToAddress(f.key.PublicKey)
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && path == "/v1/vault/accounts_paged":
		reply(map[string]any{"accounts": []fireblocks.VaultAccount{{ID: "0", Name: "avs-sync",
			Assets: []fireblocks.Asset{{ID: devnetAsset, Total: "100", Balance: "100", Available: "100"}}}}, "paging": map[string]string{}})
	case r.Method == http.MethodGet && path == fmt.Sprintf("/v1/vault/accounts/0/%s/addresses_paginated", devnetAsset):
		reply(map[string]any{"addresses": []fireblocks.AssetAddress{{AssetID: devnetAsset, Address: addr.Hex()}}, "paging": map[string]string{}})
	case r.Method == http.MethodGet && path == "/v1/contracts":
		reply([]map[string]any{{"id": "rc", "name": "RegistryCoordinator", "assets": []map[string]any{
			{"id": devnetAsset, "status": "APPROVED", "address": f.contract.Hex()}}}})
	case r.Method == http.MethodPost && path == "/v1/transactions":
		var req fireblocks.TransactionRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"message":"bad request","code":1}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		tx := &fakeTx{id: fmt.Sprint(len(f.txs) + 1), status: fireblocks.PendingAuthorization, req: req}
		f.txs = append(f.txs, tx)
		res := fireblocks.TransactionResponse{ID: tx.id, Status: tx.status}
		f.mu.Unlock()
		reply(res)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/cancel"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/v1/transactions/"), "/cancel")
		f.mu.Lock()
		f.cancels++
		tx := f.find(id)
		ok := tx != nil && tx.status == fireblocks.PendingAuthorization && !f.refuseCancel
		if ok {
			tx.status = fireblocks.Cancelled
		}
		f.mu.Unlock()
		reply(map[string]bool{"success": ok})
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/v1/transactions/"):
		id := strings.TrimPrefix(path, "/v1/transactions/")
		f.mu.Lock()
		f.polls[id]++
		tx := f.find(id)
		if tx == nil {
			f.mu.Unlock()
			w.WriteHeader(http.StatusNotFound)
			reply(map[string]any{"message": "not found", "code": 404})
			return
		}
		hash, status := tx.hash, tx.status
		f.mu.Unlock()
		if status == fireblocks.Confirming {
			if _, err := f.client.TransactionReceipt(r.Context(), hash); err == nil {
				status = fireblocks.Completed
				f.mu.Lock()
				tx.status = status
				f.mu.Unlock()
			}
		}
		out := map[string]any{"id": id, "status": status}
		if hash != (common.Hash{}) {
			out["txHash"] = hash.Hex()
		}
		reply(out)
	default:
		w.WriteHeader(http.StatusNotFound)
		reply(map[string]any{"message": "no such endpoint " + r.Method + " " + path, "code": 404})
	}
}

func (f *fakeFireblocks) find(id string) *fakeTx {
	for _, tx := range f.txs {
		if tx.id == id {
			return tx
		}
	}
	return nil
}

// approve authorises transaction id: the vault signs it at its next nonce with the requested
// fees and gas, and broadcasts it.
func (f *fakeFireblocks) approve(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	tx := f.find(id)
	if tx == nil || tx.status != fireblocks.PendingAuthorization {
		return fmt.Errorf("transaction %s not awaiting authorisation", id)
	}
	from := crypto.PubkeyToAddress(f.key.PublicKey)
	nonce, err := f.client.PendingNonceAt(ctx, from)
	if err != nil {
		return err
	}
	var gas uint64
	fmt.Sscan(tx.req.GasLimit, &gas)
	signed, err := types.SignNewTx(f.key, types.LatestSignerForChainID(big.NewInt(devnet.ChainID)), &types.DynamicFeeTx{
		ChainID: big.NewInt(devnet.ChainID), Nonce: nonce, GasTipCap: gweiString(tx.req.PriorityFee), GasFeeCap: gweiString(tx.req.MaxFee),
		Gas: gas, To: &f.contract, Data: common.FromHex(tx.req.ExtraParameters.Calldata),
	})
	if err != nil {
		return err
	}
	if err := f.client.SendTransaction(ctx, signed); err != nil {
		return err
	}
	tx.hash, tx.status = signed.Hash(), fireblocks.Confirming
	return nil
}

// counts returns how many transactions were created, how many are not cancelled, and cancels.
func (f *fakeFireblocks) counts() (created, live, cancels int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, tx := range f.txs {
		if tx.status != fireblocks.Cancelled {
			live++
		}
	}
	return len(f.txs), live, f.cancels
}

// gweiString parses the SDK's gwei strings (big.Float text, 10 significant digits) into wei.
func gweiString(s string) *big.Int {
	g, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil {
		return new(big.Int)
	}
	w, _ := new(big.Float).Mul(g, big.NewFloat(params.GWei)).Int(nil)
	return w
}

// A Fireblocks transaction whose approval comes after --writer-timeout-duration: the send
// cancels it on a fresh context (the SDK's cancel ran on the expired one), and the retry never
// creates a second Fireblocks transaction while the first is pending.
func TestFireblocksApprovalPastTimeout(t *testing.T) {
	fireblocks.AssetIDByChain[devnet.ChainID] = devnetAsset
	t.Cleanup(func() { delete(fireblocks.AssetIDByChain, devnet.ChainID) })
	e := newEnv(t, 1, submitter.Config{})
	secret := filepath.Join(t.TempDir(), "fireblocks.pem")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), 0o600); err != nil {
		t.Fatal(err)
	}
	op := e.ops[0].Address
	plan := planner.Plan{Operators: []common.Address{op}, Reason: "dirty"}

	start := func(t *testing.T) (*fakeFireblocks, *submitter.Submitter, *prometheus.Registry) {
		fake, srv := newFakeFireblocks(t, e.client, e.d.Key(senderKey), e.c.RegistryCoordinator)
		reg := prometheus.NewRegistry()
		log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
		s, from, err := submitter.NewTxManager(context.Background(), submitter.SignerConfig{
			Fireblocks:          submitter.FireblocksConfig{Enabled: true, APIKey: "key", APISecretPath: secret, BaseURL: srv.URL, VaultAccountName: "avs-sync", Timeout: 10 * time.Second},
			ReceiptPollInterval: 20 * time.Millisecond,
		}, e.client, big.NewInt(devnet.ChainID), log, reg)
		if err != nil {
			t.Fatal(err)
		}
		if from != e.sender {
			t.Fatalf("Fireblocks sender %s, want the vault's %s", from, e.sender)
		}
		sub, err := submitter.New(submitter.Config{Timeout: 2 * time.Second}, e.client, s, from, e.c, log, reg)
		if err != nil {
			t.Fatal(err)
		}
		return fake, sub, reg
	}

	t.Run("cancelled at the timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
			t.Fatal(err)
		}
		fake, sub, _ := start(t)
		_, err := sub.Submit(ctx, plan)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the writer timeout", err)
		}
		created, live, cancels := fake.counts()
		t.Logf("after the timeout: %d created, %d not cancelled, %d cancels", created, live, cancels)
		if created != 1 || live != 0 || cancels != 1 {
			t.Fatalf("after the timeout: %d created, %d not cancelled, %d cancels; want 1, 0, 1", created, live, cancels)
		}
		// The retry, approved promptly this time.
		done := make(chan error, 1)
		go func() {
			_, err := sub.Submit(ctx, plan)
			done <- err
		}()
		waitUntil(t, ctx, "second Fireblocks transaction", func() bool { c, _, _ := fake.counts(); return c == 2 })
		if err := fake.approve(ctx, "2"); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("retry: %v", err)
		}
		created, live, _ = fake.counts()
		if live != 1 {
			t.Fatalf("%d Fireblocks transactions not cancelled, want exactly 1 (%d created)", live, created)
		}
		if s := e.stakes(t, ctx, []common.Address{op}); s[0].Stored.Cmp(s[0].Weight) != 0 {
			t.Fatalf("stake not updated: %+v", s[0])
		}
	})

	t.Run("approved as the cancel arrives", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
			t.Fatal(err)
		}
		fake, sub, _ := start(t)
		fake.mu.Lock()
		fake.refuseCancel = true
		fake.mu.Unlock()
		_, err := sub.Submit(ctx, plan)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the writer timeout", err)
		}
		// Another user of the vault moves its nonce meanwhile.
		k := e.d.Key(senderKey)
		vault := crypto.PubkeyToAddress(k.PublicKey)
		n, err := e.client.PendingNonceAt(ctx, vault)
		if err != nil {
			t.Fatal(err)
		}
		other := types.MustSignNewTx(k, types.LatestSignerForChainID(big.NewInt(devnet.ChainID)), &types.DynamicFeeTx{
			ChainID: big.NewInt(devnet.ChainID), Nonce: n, GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(10 * params.GWei), Gas: 21_000, To: &vault})
		if err := e.client.SendTransaction(ctx, other); err != nil {
			t.Fatal(err)
		}
		waitReceipt(t, ctx, e.client, other.Hash())
		// The retry finds the first still pending and waits for it rather than creating another.
		done := make(chan error, 1)
		var res submitter.Result
		go func() {
			var err error
			res, err = sub.Submit(ctx, plan)
			done <- err
		}()
		// The retry is running once it polls the first transaction again.
		fake.mu.Lock()
		before := fake.polls["1"]
		fake.mu.Unlock()
		waitUntil(t, ctx, "the retry polling the pending transaction", func() bool {
			fake.mu.Lock()
			defer fake.mu.Unlock()
			return fake.polls["1"] >= before+5
		})
		if c, _, _ := fake.counts(); c != 1 {
			t.Fatalf("%d Fireblocks transactions created while the first was pending, want 1", c)
		}
		if err := fake.approve(ctx, "1"); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("retry: %v", err)
		}
		created, live, cancels := fake.counts()
		t.Logf("%d created, %d not cancelled, %d cancels; mined in block %d", created, live, cancels, res.Txs[0].Block)
		if created != 1 || live != 1 {
			t.Fatalf("%d created, %d not cancelled; want exactly 1", created, live)
		}
		if s := e.stakes(t, ctx, []common.Address{op}); s[0].Stored.Cmp(s[0].Weight) != 0 {
			t.Fatalf("stake not updated: %+v", s[0])
		}
	})
}

// A Fireblocks transaction rejected by policy ends the send with an error; no second one is
// created in its place.
func TestFireblocksRejected(t *testing.T) {
	fireblocks.AssetIDByChain[devnet.ChainID] = devnetAsset
	t.Cleanup(func() { delete(fireblocks.AssetIDByChain, devnet.ChainID) })
	e := newEnv(t, 1, submitter.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "fireblocks.pem")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), 0o600); err != nil {
		t.Fatal(err)
	}
	fake, srv := newFakeFireblocks(t, e.client, e.d.Key(senderKey), e.c.RegistryCoordinator)
	s, from, err := submitter.NewTxManager(ctx, submitter.SignerConfig{
		Fireblocks:          submitter.FireblocksConfig{Enabled: true, APIKey: "key", APISecretPath: secret, BaseURL: srv.URL, VaultAccountName: "avs-sync", Timeout: 10 * time.Second},
		ReceiptPollInterval: 20 * time.Millisecond,
	}, e.client, big.NewInt(devnet.ChainID), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := submitter.New(submitter.Config{Timeout: 30 * time.Second}, e.client, s, from, e.c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := sub.Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}})
		done <- err
	}()
	waitUntil(t, ctx, "the Fireblocks transaction", func() bool { c, _, _ := fake.counts(); return c == 1 })
	fake.mu.Lock()
	fake.txs[0].status = fireblocks.Rejected
	fake.mu.Unlock()
	err = <-done
	if err == nil || !strings.Contains(err.Error(), "REJECTED") || !errors.Is(err, submitter.ErrRejected) {
		t.Fatalf("err = %v, want the rejection, as ErrRejected", err)
	}
	if c, _, _ := fake.counts(); c != 1 {
		t.Fatalf("%d Fireblocks transactions created, want 1", c)
	}
	t.Logf("rejected: %v", err)
}

// A Fireblocks transaction broadcast but unmined when the process restarts. The SDK names the
// transaction a replacement replaces only from its memory, which the restart emptied: a
// "replacement" would be an independent transaction at the next nonce, and both would be mined.
// The restarted process waits for the one it found instead, and reports it mined.
func TestFireblocksRestartWaitsForEarlierAttempt(t *testing.T) {
	fireblocks.AssetIDByChain[devnet.ChainID] = devnetAsset
	t.Cleanup(func() { delete(fireblocks.AssetIDByChain, devnet.ChainID) })
	e := newEnv(t, 1, submitter.Config{})
	secret := filepath.Join(t.TempDir(), "fireblocks.pem")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), 0o600); err != nil {
		t.Fatal(err)
	}
	fake, srv := newFakeFireblocks(t, e.client, e.d.Key(senderKey), e.c.RegistryCoordinator)
	dir := t.TempDir()
	start := func(timeout time.Duration) *submitter.Submitter {
		reg := prometheus.NewRegistry()
		log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
		s, from, err := submitter.NewTxManager(context.Background(), submitter.SignerConfig{
			Fireblocks:          submitter.FireblocksConfig{Enabled: true, APIKey: "key", APISecretPath: secret, BaseURL: srv.URL, VaultAccountName: "avs-sync", Timeout: 10 * time.Second},
			ReceiptPollInterval: 20 * time.Millisecond, StateDir: dir, BumpAfter: time.Second,
		}, e.client, big.NewInt(devnet.ChainID), log, reg)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := submitter.New(submitter.Config{Timeout: timeout}, e.client, s, from, e.c, log, reg)
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	op := e.ops[0].Address
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	plan := planner.Plan{Operators: []common.Address{op}, Reason: "dirty"}
	var created int
	done := make(chan error, 1)
	var res submitter.Result
	err = e.d.WithBackend(func(*simulated.Backend) error { // no blocks: the broadcast one stays pending
		first := start(3 * time.Second)
		firstDone := make(chan struct{})
		go func() { defer close(firstDone); first.Submit(ctx, plan) }()
		waitUntil(t, ctx, "first Fireblocks transaction", func() bool { c, _, _ := fake.counts(); return c >= 1 })
		if err := fake.approve(ctx, "1"); err != nil {
			return err
		}
		<-firstDone // writer timeout with transaction 1 broadcast, unmined
		created, _, _ = fake.counts()
		second := start(time.Minute) // the restart
		go func() {
			var err error
			res, err = second.Submit(ctx, plan)
			done <- err
		}()
		fake.mu.Lock()
		before := fake.polls["1"]
		fake.mu.Unlock()
		waitUntil(t, ctx, "the restarted process polling the broadcast transaction", func() bool {
			fake.mu.Lock()
			defer fake.mu.Unlock()
			return fake.polls["1"] >= before+5
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("restarted send: %v", err)
	}
	fake.mu.Lock()
	for _, tx := range fake.txs {
		t.Logf("Fireblocks transaction %s: %s, replaceTxByHash %q", tx.id, tx.status, tx.req.ReplaceTxByHash)
	}
	fake.mu.Unlock()
	if c, _, _ := fake.counts(); c != created {
		t.Fatalf("the restarted process created %d Fireblocks transactions, want 0: it waits for the broadcast one", c-created)
	}
	if len(res.Mined()) != 1 {
		t.Fatalf("restarted send reports %d mined, want the broadcast transaction", len(res.Mined()))
	}
	if s := e.stakes(t, ctx, []common.Address{op}); s[0].Stored.Cmp(s[0].Weight) != 0 {
		t.Fatalf("stake not updated: %+v", s[0])
	}
}

// A Fireblocks transaction approved after its send gave up (the cancel refused), and mined while
// no send waits for it: the next send counts its receipt once, and its record leaves
// sent-transactions.json; no id of a settled nonce stays in memory.
func TestFireblocksMinedAfterGiveUpCounted(t *testing.T) {
	fireblocks.AssetIDByChain[devnet.ChainID] = devnetAsset
	t.Cleanup(func() { delete(fireblocks.AssetIDByChain, devnet.ChainID) })
	e := newEnv(t, 1, submitter.Config{})
	secret := filepath.Join(t.TempDir(), "fireblocks.pem")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fake, srv := newFakeFireblocks(t, e.client, e.d.Key(senderKey), e.c.RegistryCoordinator)
	fake.refuseCancel = true
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, from, err := submitter.NewTxManager(ctx, submitter.SignerConfig{
		Fireblocks:          submitter.FireblocksConfig{Enabled: true, APIKey: "key", APISecretPath: secret, BaseURL: srv.URL, VaultAccountName: "avs-sync", Timeout: 10 * time.Second},
		ReceiptPollInterval: 20 * time.Millisecond, StateDir: dir,
	}, e.client, big.NewInt(devnet.ChainID), log, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	reported := map[common.Hash]uint64{}
	s.OnReceipt(func(h common.Hash, gas uint64) {
		mu.Lock()
		defer mu.Unlock()
		reported[h] += gas
	})
	submit := func(timeout time.Duration) (submitter.Result, error) {
		sub, err := submitter.New(submitter.Config{Timeout: timeout}, e.client, s, from, e.c, log, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sub.Submit(ctx, planner.Plan{Operators: []common.Address{e.ops[0].Address}, Reason: "dirty"})
	}
	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	if _, err := submit(2 * time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first send: err = %v, want the writer timeout", err)
	}
	// Approved after the send gave up, and mined.
	if err := fake.approve(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	late := fake.txs[0].hash
	fake.mu.Unlock()
	lateReceipt := waitReceipt(t, ctx, e.client, late)

	if _, err := e.ops[0].Deposit(ctx, big.NewInt(1e18)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var res submitter.Result
	go func() {
		var err error
		res, err = submit(time.Minute)
		done <- err
	}()
	waitUntil(t, ctx, "the next send's Fireblocks transaction", func() bool { c, _, _ := fake.counts(); return c == 2 })
	if err := fake.approve(ctx, "2"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("next send: %v", err)
	}
	mu.Lock()
	t.Logf("reported: %v; the late transaction %s used %d gas", reported, late, lateReceipt.GasUsed)
	if reported[late] != lateReceipt.GasUsed {
		t.Errorf("the late transaction reported with %d gas, want %d once", reported[late], lateReceipt.GasUsed)
	}
	if h := res.Txs[0].Hash; reported[h] != res.Txs[0].GasUsed {
		t.Errorf("the next send's transaction reported with %d gas, want %d once", reported[h], res.Txs[0].GasUsed)
	}
	mu.Unlock()
	raw, err := os.ReadFile(filepath.Join(dir, "sent-transactions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Nonces map[string]json.RawMessage `json:"nonces"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Nonces) != 0 {
		t.Errorf("sent-transactions.json keeps %d records after both were mined: %s", len(st.Nonces), raw)
	}
	if n := s.CreatedIDs(); n != 0 {
		t.Errorf("%d Fireblocks ids kept in memory after their nonces settled, want 0", n)
	}
}
