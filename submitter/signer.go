package submitter

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"time"

	eigenkms "github.com/Layr-Labs/eigensdk-go/aws/kms"
	"github.com/Layr-Labs/eigensdk-go/aws/secretmanager"
	"github.com/Layr-Labs/eigensdk-go/chainio/clients/fireblocks"
	"github.com/Layr-Labs/eigensdk-go/chainio/clients/wallet"
	sdkecdsa "github.com/Layr-Labs/eigensdk-go/crypto/ecdsa"
	"github.com/Layr-Labs/eigensdk-go/signerv2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/prometheus/client_golang/prometheus"
)

// SignerConfig says where the sender's key is: exactly one source, and how the transaction manager
// waits for receipts.
type SignerConfig struct {
	// PrivateKey is a hex ECDSA key, 0x prefix optional (--ecdsa-private-key).
	PrivateKey string
	// PrivateKeyFile is a file holding a hex ECDSA key.
	PrivateKeyFile string
	// KeystorePath is an encrypted JSON keystore (Web3 Secret Storage), its password in
	// KeystorePasswordFile.
	KeystorePath         string
	KeystorePasswordFile string
	// SecretManagerPrivateKeyName names an AWS Secrets Manager secret holding a hex ECDSA key
	// (--secret-manager-ecdsa-private-key-name), in SecretManagerRegion.
	SecretManagerPrivateKeyName string
	// SecretManagerRegion is the AWS region of the Secrets Manager secrets (--secret-manager-region).
	SecretManagerRegion string
	// KMSKeyID is an AWS KMS key (spec ECC_SECG_P256K1, usage SIGN_VERIFY) in KMSRegion.
	KMSKeyID  string
	KMSRegion string
	// Fireblocks signs through a Fireblocks vault account.
	Fireblocks FireblocksConfig

	// ReceiptPollInterval is how often receipts are polled (default 1 s).
	ReceiptPollInterval time.Duration
	// BumpAfter is how long a transaction may stay unmined before it is replaced at higher fees
	// (the resubmission timeout; default DefaultResubmissionTimeout).
	BumpAfter time.Duration
	// Confirmations is how many blocks must follow a transaction's block before it counts as
	// mined (default 0).
	Confirmations uint64
	// Fees bound every transaction's tip and fee cap (zero fields: the defaults).
	Fees FeeLimits
	// StateDir keeps what was broadcast at each pending nonce across restarts (empty: memory
	// only).
	StateDir string
	// LowBalance is the balance, in wei, below which the sender is reported low (nil: never).
	LowBalance *big.Int
}

// resubmission is the resubmission timeout.
func (c SignerConfig) resubmission() time.Duration {
	if c.BumpAfter <= 0 {
		return DefaultResubmissionTimeout
	}
	return c.BumpAfter
}

// FireblocksConfig configures the Fireblocks wallet.
type FireblocksConfig struct {
	// Enabled selects Fireblocks (--use-fireblocks).
	Enabled bool
	// APIKey (--fireblocks-api-key), or APIKeySecretName in Secrets Manager
	// (--secret-manager-fireblocks-api-key-name).
	APIKey           string
	APIKeySecretName string
	// APISecretPath is a file holding the RSA private key in PEM (--fireblocks-api-secret-path), or
	// APISecretName in Secrets Manager (--secret-manager-fireblocks-api-secret-name).
	APISecretPath string
	APISecretName string
	// BaseURL of the Fireblocks API (--fireblocks-api-url).
	BaseURL string
	// VaultAccountName is the vault account that signs (--fireblocks-vault-account-name).
	VaultAccountName string
	// Timeout bounds each Fireblocks API request (default 30 s).
	Timeout time.Duration
}

// source is a configured key source, named for errors.
type source struct {
	name string
	set  bool
}

func (c SignerConfig) sources() []source {
	return []source{
		{"private key", c.PrivateKey != ""},
		{"private key file", c.PrivateKeyFile != ""},
		{"keystore", c.KeystorePath != ""},
		{"Secrets Manager private key", c.SecretManagerPrivateKeyName != ""},
		{"AWS KMS key", c.KMSKeyID != ""},
		{"Fireblocks", c.Fireblocks.Enabled},
	}
}

// Validate checks that exactly one key source is configured, with what it needs.
func (c SignerConfig) Validate() error {
	var all, set []string
	for _, s := range c.sources() {
		all = append(all, s.name)
		if s.set {
			set = append(set, s.name)
		}
	}
	switch {
	case len(set) == 0:
		return fmt.Errorf("signer: no key configured: set one of %s", strings.Join(all, ", "))
	case len(set) > 1:
		return fmt.Errorf("signer: %s are all configured: set exactly one", strings.Join(set, ", "))
	}
	switch {
	case c.KeystorePath != "" && c.KeystorePasswordFile == "":
		return errors.New("signer: keystore needs a password file")
	case c.SecretManagerPrivateKeyName != "" && c.SecretManagerRegion == "":
		return errors.New("signer: Secrets Manager private key needs a region")
	case c.KMSKeyID != "" && c.KMSRegion == "":
		return errors.New("signer: AWS KMS key needs a region")
	}
	if err := c.Fees.Validate(); err != nil {
		return err
	}
	switch {
	case c.Fireblocks.Enabled:
		f := c.Fireblocks
		if (f.APIKey == "") == (f.APIKeySecretName == "") {
			return errors.New("signer: Fireblocks needs exactly one of an API key and an API key secret name")
		}
		if (f.APISecretPath == "") == (f.APISecretName == "") {
			return errors.New("signer: Fireblocks needs exactly one of an API secret path and an API secret name")
		}
		if (f.APIKeySecretName != "" || f.APISecretName != "") && c.SecretManagerRegion == "" {
			return errors.New("signer: Fireblocks secrets in Secrets Manager need a region")
		}
		if f.BaseURL == "" || f.VaultAccountName == "" {
			return errors.New("signer: Fireblocks needs a base URL and a vault account name")
		}
	}
	return nil
}

// NewTxManager builds the sender's signer from cfg's one key source and the Sender over it, and
// returns it with the sender address. chainID nil reads it from client. The Sender's metrics go
// to reg (nil: none). What an earlier process broadcast is read from cfg.StateDir; a missing or
// unreadable record is a warning. No secret is logged or put in an error.
func NewTxManager(ctx context.Context, cfg SignerConfig, client *ethclient.Client, chainID *big.Int, log *slog.Logger, reg prometheus.Registerer) (*Sender, common.Address, error) {
	if err := cfg.Validate(); err != nil {
		return nil, common.Address{}, err
	}
	if chainID == nil {
		var err error
		if chainID, err = client.ChainID(ctx); err != nil {
			return nil, common.Address{}, fmt.Errorf("read chain id: %w", err)
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sdkLog := sdkLogger{l: log}
	b, sender, err := newBroadcaster(ctx, cfg, client, chainID, sdkLog)
	if err != nil {
		return nil, common.Address{}, err
	}
	m, err := newSenderMetrics(reg)
	if err != nil {
		return nil, common.Address{}, err
	}
	limits := cfg.Fees.withDefaults()
	m.maxFee.Set(gweiFloat(limits.MaxFeePerGas))
	m.maxTip.Set(gweiFloat(limits.MaxPriorityFeePerGas))
	sent, err := loadSent(cfg.StateDir, chainID.Uint64(), sender)
	if err != nil {
		log.Warn("what earlier runs broadcast is unknown: a pending replacement is priced from the pool's answers", "err", err)
	}
	s := &Sender{
		client: client, b: b, from: sender, chainID: chainID, limits: limits, cfg: cfg,
		log: log, m: m, now: time.Now, sent: sent,
	}
	s.c = b.custody(s)
	if len(sent) > 0 {
		log.Info("transactions broadcast by an earlier run", "nonces", len(sent))
	}
	s.c.start(ctx)
	return s, sender, nil
}

// newBroadcaster builds the signing path of the one configured source: the SDK's Fireblocks
// wallet, or one of its signers for a local key, keystore, Secrets Manager key or KMS key.
func newBroadcaster(ctx context.Context, cfg SignerConfig, client *ethclient.Client, chainID *big.Int, sdkLog sdkLogger) (broadcaster, common.Address, error) {
	if cfg.Fireblocks.Enabled {
		w, sender, err := fireblocksWallet(ctx, cfg, client, sdkLog)
		if err != nil {
			return nil, common.Address{}, err
		}
		return fireblocksBroadcaster{w: w}, sender, nil
	}
	if cfg.KMSKeyID != "" {
		kms, err := eigenkms.NewKMSClient(ctx, cfg.KMSRegion)
		if err != nil {
			return nil, common.Address{}, fmt.Errorf("signer: AWS KMS client in %s: %w", cfg.KMSRegion, err)
		}
		pub, err := eigenkms.GetECDSAPublicKey(ctx, kms, cfg.KMSKeyID)
		if err != nil {
			return nil, common.Address{}, fmt.Errorf("signer: public key of AWS KMS key %s: %w", cfg.KMSKeyID, err)
		}
		sender := crypto.PubkeyToAddress(*pub)
		return keyBroadcaster{client: client, signer: signerv2.NewKMSSigner(ctx, kms, pub, cfg.KMSKeyID, chainID), from: sender}, sender, nil
	}
	key, err := privateKey(ctx, cfg)
	if err != nil {
		return nil, common.Address{}, err
	}
	signer, sender, err := signerv2.SignerFromConfig(signerv2.Config{PrivateKey: key}, chainID)
	if err != nil {
		return nil, common.Address{}, fmt.Errorf("signer: %w", err)
	}
	return keyBroadcaster{client: client, signer: signer, from: sender}, sender, nil
}

// privateKey loads the key of a local source: hex, hex file, keystore or Secrets Manager. The
// keystore is decrypted once here, so a wrong password fails at startup, not at the first update.
func privateKey(ctx context.Context, cfg SignerConfig) (*ecdsa.PrivateKey, error) {
	switch {
	case cfg.PrivateKey != "":
		return parseHexKey(cfg.PrivateKey, "private key")
	case cfg.PrivateKeyFile != "":
		raw, err := os.ReadFile(cfg.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("signer: read private key file: %w", err)
		}
		return parseHexKey(string(raw), "private key file "+cfg.PrivateKeyFile)
	case cfg.KeystorePath != "":
		pw, err := os.ReadFile(cfg.KeystorePasswordFile)
		if err != nil {
			return nil, fmt.Errorf("signer: read keystore password file: %w", err)
		}
		key, err := sdkecdsa.ReadKey(cfg.KeystorePath, strings.TrimRight(string(pw), "\r\n"))
		if err != nil {
			return nil, fmt.Errorf("signer: decrypt keystore %s: %w", cfg.KeystorePath, err)
		}
		return key, nil
	case cfg.SecretManagerPrivateKeyName != "":
		s, err := secretmanager.ReadStringFromSecretManager(ctx, cfg.SecretManagerPrivateKeyName, cfg.SecretManagerRegion)
		if err != nil {
			return nil, fmt.Errorf("signer: read secret %s in %s: %w", cfg.SecretManagerPrivateKeyName, cfg.SecretManagerRegion, err)
		}
		return parseHexKey(s, "secret "+cfg.SecretManagerPrivateKeyName)
	}
	return nil, errors.New("signer: no local key configured")
}

// parseHexKey decodes a 32-byte hex ECDSA key. Errors say what is wrong without echoing any of it.
func parseHexKey(s, from string) (*ecdsa.PrivateKey, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s) != 64 {
		return nil, fmt.Errorf("signer: %s: want 64 hex digits (32 bytes), got %d characters", from, len(s))
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("signer: %s: not hex", from)
	}
	key, err := crypto.ToECDSA(raw)
	if err != nil {
		return nil, fmt.Errorf("signer: %s: not a valid secp256k1 private key", from)
	}
	return key, nil
}

// fireblocksWallet builds the Fireblocks client and wallet; the API key and the API secret come
// from the config or from Secrets Manager.
func fireblocksWallet(ctx context.Context, cfg SignerConfig, client *ethclient.Client, log sdkLogger) (wallet.Wallet, common.Address, error) {
	f := cfg.Fireblocks
	apiKey := f.APIKey
	if f.APIKeySecretName != "" {
		var err error
		if apiKey, err = secretmanager.ReadStringFromSecretManager(ctx, f.APIKeySecretName, cfg.SecretManagerRegion); err != nil {
			return nil, common.Address{}, fmt.Errorf("signer: read Fireblocks API key secret %s: %w", f.APIKeySecretName, err)
		}
	}
	var secret []byte
	if f.APISecretName != "" {
		s, err := secretmanager.ReadStringFromSecretManager(ctx, f.APISecretName, cfg.SecretManagerRegion)
		if err != nil {
			return nil, common.Address{}, fmt.Errorf("signer: read Fireblocks API secret %s: %w", f.APISecretName, err)
		}
		secret = []byte(s)
	} else {
		var err error
		if secret, err = os.ReadFile(f.APISecretPath); err != nil {
			return nil, common.Address{}, fmt.Errorf("signer: read Fireblocks API secret file: %w", err)
		}
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	fb, err := fireblocks.NewClient(strings.TrimSpace(apiKey), secret, f.BaseURL, timeout, log)
	if err != nil {
		// The SDK's message names the parse failure only, never the key.
		return nil, common.Address{}, fmt.Errorf("signer: Fireblocks client: %w", err)
	}
	w, err := wallet.NewFireblocksWallet(fb, client, f.VaultAccountName, log)
	if err != nil {
		return nil, common.Address{}, fmt.Errorf("signer: Fireblocks wallet: %w", err)
	}
	sender, err := w.SenderAddress(ctx)
	if err != nil {
		return nil, common.Address{}, fmt.Errorf("signer: address of Fireblocks vault account %s: %w", f.VaultAccountName, err)
	}
	return w, sender, nil
}
