package devnet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	gethversion "github.com/ethereum/go-ethereum/version"
)

// CacheDirEnv overrides where profile state caches live.
const CacheDirEnv = "AVS_SYNC_DEVNET_CACHE"

// profileCache is a populated profile's state, as written to disk.
type profileCache struct {
	Key   string             `json:"key"`
	Block uint64             `json:"block"`
	Shape *Shape             `json:"shape"`
	Alloc types.GenesisAlloc `json:"alloc"`
}

// startProfile starts a devnet with opts.Profile populated: from the cache when it holds the
// profile's state for this SDK and recipe, else built (minutes) and cached first.
func startProfile(ctx context.Context, opts Options) (*Devnet, error) {
	if opts.Profile == ProfileECDSA {
		return startECDSA(ctx, opts)
	}
	began := time.Now()
	c, cold, err := loadOrBuild(ctx, opts)
	if err != nil {
		return nil, err
	}
	loaded := time.Since(began)
	g := genesis{alloc: c.Alloc, block: c.Block}
	base, err := baseGenesis(opts.Flavor)
	if err != nil {
		return nil, err
	}
	g.addrs = base.addrs
	extra := opts.Accounts
	opts.Accounts = c.Shape.Accounts + extra
	d, err := startFrom(ctx, opts, g, c.Shape.Accounts)
	if err != nil {
		return nil, err
	}
	d.Shape = c.Shape
	opts.Logger.Info("devnet profile ready", "profile", opts.Profile, "cold", cold, "load", loaded.Round(time.Millisecond),
		"took", time.Since(began).Round(time.Millisecond), "operators", len(c.Shape.Registered), "block", c.Block)
	return d, nil
}

// cacheKey names a profile's cache: the recipe, the deployment and the node it was built with.
func cacheKey(opts Options) (string, error) {
	sdk, err := SDKDir()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(strings.Join([]string{cacheVersion, string(opts.Profile), string(opts.Flavor), filepath.Base(sdk), fmt.Sprintf("geth %d.%d.%d", gethversion.Major, gethversion.Minor, gethversion.Patch)}, "|")))
	return fmt.Sprintf("devnet-%s-%s", opts.Profile, hex.EncodeToString(h[:8])), nil
}

func cacheDir(opts Options) (string, error) {
	if opts.CacheDir != "" {
		return opts.CacheDir, nil
	}
	if dir := os.Getenv(CacheDirEnv); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache directory (set %s): %w", CacheDirEnv, err)
	}
	return filepath.Join(base, "avs-sync"), nil
}

// loadOrBuild reads the profile's cache, building it under a file lock when it is missing, so
// that parallel test processes build it once.
func loadOrBuild(ctx context.Context, opts Options) (*profileCache, bool, error) {
	key, err := cacheKey(opts)
	if err != nil {
		return nil, false, err
	}
	dir, err := cacheDir(opts)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, false, fmt.Errorf("create devnet cache directory: %w", err)
	}
	path := filepath.Join(dir, key+".json")
	if c, err := readCache(path, key); err == nil {
		return c, false, nil
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("open devnet cache lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, false, fmt.Errorf("lock devnet cache: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if c, err := readCache(path, key); err == nil {
		return c, false, nil
	}
	opts.Logger.Info("building devnet profile state (once; cached afterwards)", "profile", opts.Profile, "cache", path)
	g, shape, err := buildShape(ctx, opts)
	if err != nil {
		return nil, true, err
	}
	c := &profileCache{Key: key, Block: g.block, Shape: shape, Alloc: g.alloc}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, true, fmt.Errorf("encode devnet cache: %w", err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return nil, true, fmt.Errorf("write devnet cache: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, true, fmt.Errorf("write devnet cache: %w", err)
	}
	return c, true, nil
}

func readCache(path, key string) (*profileCache, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c profileCache
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode devnet cache %s: %w", path, err)
	}
	if c.Key != key || c.Shape == nil || len(c.Alloc) == 0 {
		return nil, fmt.Errorf("devnet cache %s is for another build", path)
	}
	return &c, nil
}

// dumpGenesis reads the whole state at the head through the node's debug API (in process: the
// HTTP endpoint does not serve it) and returns it as a genesis.
func (d *Devnet) dumpGenesis(ctx context.Context) (genesis, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := rpc.DialContext(ctx, d.HTTPURL)
	if err != nil {
		return genesis{}, fmt.Errorf("dump state: %w", err)
	}
	defer c.Close()
	head, err := d.client.BlockNumber(ctx)
	if err != nil {
		return genesis{}, fmt.Errorf("dump state: %w", err)
	}
	alloc := types.GenesisAlloc{}
	var start []byte
	block := rpc.BlockNumberOrHashWithNumber(rpc.BlockNumber(head))
	for {
		var page state.Dump
		if err := c.CallContext(ctx, &page, "debug_accountRange", block, hexBytes(start), 256, false, false, true); err != nil {
			return genesis{}, fmt.Errorf("dump state: %w", err)
		}
		for name, acc := range page.Accounts {
			if !common.IsHexAddress(name) {
				return genesis{}, fmt.Errorf("dump state: account %s has no address preimage", name)
			}
			bal, ok := new(big.Int).SetString(acc.Balance, 10)
			if !ok {
				return genesis{}, fmt.Errorf("dump state: account %s: balance %q", name, acc.Balance)
			}
			a := types.Account{Nonce: acc.Nonce, Balance: bal, Code: acc.Code}
			if len(acc.Storage) > 0 {
				a.Storage = make(map[common.Hash]common.Hash, len(acc.Storage))
				for k, v := range acc.Storage {
					a.Storage[k] = common.HexToHash(v)
				}
			}
			alloc[common.HexToAddress(name)] = a
		}
		if len(page.Next) == 0 {
			break
		}
		start = page.Next
	}
	return genesis{alloc: alloc, block: head}, nil
}

func hexBytes(b []byte) string {
	if b == nil {
		return "0x"
	}
	return "0x" + hex.EncodeToString(b)
}
