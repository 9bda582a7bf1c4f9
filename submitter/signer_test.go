package submitter_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/avs-sync/avs-sync/submitter"
)

func TestNewTxManagerSigners(t *testing.T) {
	key, err := crypto.ToECDSA(crypto.Keccak256([]byte("avs-sync signer test")))
	if err != nil {
		t.Fatal(err)
	}
	keyHex := hex.EncodeToString(crypto.FromECDSA(key))
	want := crypto.PubkeyToAddress(key.PublicKey)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyFile := write("key.hex", "0x"+keyHex+"\n")
	badKeyFile := write("bad.hex", strings.Repeat("g", 64))
	ks := keystore.NewKeyStore(filepath.Join(dir, "keystore"), keystore.LightScryptN, keystore.LightScryptP)
	acct, err := ks.ImportECDSA(key, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	password := write("password", "correct horse\n")
	wrongPassword := write("wrong", "battery staple")

	// No request reaches this endpoint: the chain id is given and local keys need no network.
	client, err := ethclient.Dial("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	cases := []struct {
		name    string
		cfg     submitter.SignerConfig
		wantErr string
	}{
		{"none", submitter.SignerConfig{}, "no key configured"},
		{"two at once", submitter.SignerConfig{PrivateKey: keyHex, PrivateKeyFile: keyFile}, "private key, private key file are all configured"},
		{"key and fireblocks", submitter.SignerConfig{PrivateKey: keyHex, Fireblocks: submitter.FireblocksConfig{Enabled: true}}, "set exactly one"},
		{"hex", submitter.SignerConfig{PrivateKey: keyHex}, ""},
		{"hex with 0x", submitter.SignerConfig{PrivateKey: "0x" + keyHex}, ""},
		{"bad hex", submitter.SignerConfig{PrivateKey: "zz" + keyHex[2:]}, "not hex"},
		{"short key", submitter.SignerConfig{PrivateKey: keyHex[:40]}, "want 64 hex digits"},
		{"zero key", submitter.SignerConfig{PrivateKey: strings.Repeat("0", 64)}, "not a valid secp256k1 private key"},
		{"key file", submitter.SignerConfig{PrivateKeyFile: keyFile}, ""},
		{"bad key file", submitter.SignerConfig{PrivateKeyFile: badKeyFile}, "not hex"},
		{"missing key file", submitter.SignerConfig{PrivateKeyFile: filepath.Join(dir, "nope")}, "read private key file"},
		{"keystore", submitter.SignerConfig{KeystorePath: acct.URL.Path, KeystorePasswordFile: password}, ""},
		{"keystore wrong password", submitter.SignerConfig{KeystorePath: acct.URL.Path, KeystorePasswordFile: wrongPassword}, "decrypt keystore"},
		{"keystore without password", submitter.SignerConfig{KeystorePath: acct.URL.Path}, "needs a password file"},
		{"secrets manager without region", submitter.SignerConfig{SecretManagerPrivateKeyName: "avs-sync-key"}, "needs a region"},
		{"kms without region", submitter.SignerConfig{KMSKeyID: "alias/avs-sync"}, "needs a region"},
		{"fireblocks incomplete", submitter.SignerConfig{Fireblocks: submitter.FireblocksConfig{Enabled: true, APIKey: "k"}}, "API secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			txm, sender, err := submitter.NewTxManager(context.Background(), tc.cfg, client, big.NewInt(31337), nil, nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if sender != want || txm == nil {
					t.Fatalf("sender %s, want %s", sender, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %q, want it to mention %q", err, tc.wantErr)
			}
			for _, secret := range []string{keyHex, keyHex[:40], keyHex[2:], "correct horse"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error echoes a secret: %q", err)
				}
			}
		})
	}
}

func TestSDKLogger(t *testing.T) {
	var buf bytes.Buffer
	log := submitter.NewSDKLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	log.Debug("hidden")
	log.With("component", "txmgr").Warn("failed to send transaction", errors.New("boom"), "retryCount", 2)
	log.Infof("sent %d", 3)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %q", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["level"] != "WARN" || first["err"] != "boom" || first["retryCount"] != 2.0 || first["component"] != "txmgr" {
		t.Fatalf("warn line %v", first)
	}
	if second["msg"] != "sent 3" {
		t.Fatalf("infof line %v", second)
	}
}
