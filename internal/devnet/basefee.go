package devnet

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
)

// FillBlocks keeps every block full until the returned stop is called, so the base fee rises
// 12.5% a block, as on a congested network: key sends transactions that burn their whole gas
// limit (calls to a contract whose code is INVALID), about two blocks' worth queued at a time,
// each with a fee cap of maxFee. stop waits until the queued ones are mined.
func (d *Devnet) FillBlocks(ctx context.Context, key int, maxFee *big.Int) (stop func(context.Context) error, err error) {
	client, err := ethclient.DialContext(ctx, d.HTTPURL)
	if err != nil {
		return nil, fmt.Errorf("fill blocks: dial: %w", err)
	}
	k := d.keys[key]
	from := crypto.PubkeyToAddress(k.PublicKey)
	signer := types.LatestSignerForChainID(big.NewInt(ChainID))
	tip := big.NewInt(params.GWei)
	if tip.Cmp(maxFee) > 0 {
		tip = new(big.Int).Set(maxFee)
	}
	nonce, err := client.PendingNonceAt(ctx, from)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("fill blocks: nonce: %w", err)
	}
	// Init code returning the one-byte runtime 0xfe (INVALID: consumes all gas).
	deploy := types.MustSignNewTx(k, signer, &types.DynamicFeeTx{ChainID: big.NewInt(ChainID), Nonce: nonce,
		GasTipCap: tip, GasFeeCap: maxFee, Gas: 100_000, Data: common.FromHex("60fe60005360016000f3")})
	if err := client.SendTransaction(ctx, deploy); err != nil {
		client.Close()
		return nil, fmt.Errorf("fill blocks: deploy burner: %w", err)
	}
	burner := crypto.CreateAddress(from, nonce)
	nonce++
	head, err := client.HeaderByNumber(ctx, nil)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("fill blocks: head: %w", err)
	}
	per := min(head.GasLimit/2, 15_000_000)

	runCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex // guards nonce against stop's read
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
			}
			mined, err := client.NonceAt(runCtx, from, nil)
			if err != nil {
				continue
			}
			mu.Lock()
			for nonce < mined+4 {
				tx := types.MustSignNewTx(k, signer, &types.DynamicFeeTx{ChainID: big.NewInt(ChainID), Nonce: nonce,
					GasTipCap: tip, GasFeeCap: maxFee, Gas: per, To: &burner})
				if err := client.SendTransaction(runCtx, tx); err != nil {
					break
				}
				nonce++
			}
			mu.Unlock()
		}
	}()
	return func(ctx context.Context) error {
		cancel()
		wg.Wait()
		defer client.Close()
		mu.Lock()
		want := nonce
		mu.Unlock()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			mined, err := client.NonceAt(ctx, from, nil)
			if err == nil && mined >= want {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("fill blocks: queued transactions not mined: %w", ctx.Err())
			case <-tick.C:
			}
		}
	}, nil
}
