package submitter

import (
	"context"
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestSentStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	sender := common.HexToAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
	if got, err := loadSent(dir, 31337, sender); err != nil || len(got) != 0 {
		t.Fatalf("missing file: %v, %v; want empty, no error", got, err)
	}
	rec := &nonceRecord{Tip: big.NewInt(2e9), FeeCap: big.NewInt(20e9), Attempts: []attempt{{
		ID: "0xabc", Work: common.HexToHash("0x01"), Tip: big.NewInt(2e9), FeeCap: big.NewInt(20e9), At: time.Unix(1700000000, 0).UTC(),
	}}}
	if err := saveSent(dir, sentState{ChainID: 31337, Sender: sender, Nonces: map[uint64]*nonceRecord{7: rec}}); err != nil {
		t.Fatal(err)
	}
	got, err := loadSent(dir, 31337, sender)
	if err != nil {
		t.Fatal(err)
	}
	if r := got[7]; r == nil || r.Tip.Cmp(rec.Tip) != 0 || r.FeeCap.Cmp(rec.FeeCap) != 0 || len(r.Attempts) != 1 || r.Attempts[0].ID != "0xabc" {
		t.Fatalf("loaded %+v", got)
	}
	if _, err := loadSent(dir, 1, sender); err == nil {
		t.Fatal("another chain's record loaded")
	}
	if _, err := loadSent(dir, 31337, common.Address{1}); err == nil {
		t.Fatal("another sender's record loaded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files in the state dir, want only %s (no temporary left)", len(entries), sentStateFile)
	}
}

// A corrupt record is a warning: the sender starts without it.
func TestSentStateCorrupt(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, sentStateFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, _ := crypto.GenerateKey()
	s, _, err := NewTxManager(context.Background(), SignerConfig{PrivateKey: hex.EncodeToString(crypto.FromECDSA(key)), StateDir: dir},
		nil, big.NewInt(31337), nil, nil)
	if err != nil {
		t.Fatalf("corrupt record is fatal: %v", err)
	}
	if len(s.sent) != 0 {
		t.Fatalf("records from a corrupt file: %v", s.sent)
	}
}
