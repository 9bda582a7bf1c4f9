package submitter

import (
	"errors"
	"math/big"
	"strconv"
	"testing"
)

// gwei is f gwei in wei, from f's shortest decimal form (no float rounding).
func gwei(f float64) *big.Int {
	w, err := ParseGwei(strconv.FormatFloat(f, 'f', -1, 64))
	if err != nil {
		panic(err)
	}
	return w
}

func TestParseGwei(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    *big.Int
		wantErr bool
	}{
		{"100", big.NewInt(100e9), false},
		{"0.5", big.NewInt(5e8), false},
		{" 3 ", big.NewInt(3e9), false},
		{"1.000000001", big.NewInt(1_000_000_001), false},
		{".25", big.NewInt(25e7), false},
		{"7.", big.NewInt(7e9), false},
		{"0", big.NewInt(0), false},
		{"0.000000001", big.NewInt(1), false},
		{"0.0000000001", nil, true}, // finer than a wei
		{"-1", nil, true},
		{"+1", nil, true},
		{"NaN", nil, true},
		{"Inf", nil, true},
		{"1e3", nil, true},
		{"1/3", nil, true},
		{"", nil, true},
		{"12gwei", nil, true},
		{"0x10", nil, true},
		{"1.2.3", nil, true},
	} {
		got, err := ParseGwei(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseGwei(%q) = %s, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got.Cmp(tt.want) != 0 {
			t.Errorf("ParseGwei(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestGweiFormat(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 1: "0.000000001", 1e9: "1", 1_500_000_000: "1.5", 100e9: "100"} {
		if got := Gwei(big.NewInt(in)); got != want {
			t.Errorf("Gwei(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestFirstPrice(t *testing.T) {
	limits := FeeLimits{MaxFeePerGas: gwei(50), MaxPriorityFeePerGas: gwei(2), MinPriorityFeePerGas: gwei(0.1)}
	for _, tt := range []struct {
		name               string
		baseFee, suggested *big.Int
		tip, feeCap        *big.Int
		aboveCap           bool
	}{
		{"quiet chain", gwei(1), gwei(0.5), gwei(0.5), gwei(2.5), false},
		{"node suggests 1000 gwei: tip capped", gwei(1), gwei(1000), gwei(2), gwei(4), false},
		{"node suggests nothing: floor", gwei(1), big.NewInt(0), gwei(0.1), gwei(2.1), false},
		{"negative suggestion: floor", gwei(1), big.NewInt(-5), gwei(0.1), gwei(2.1), false},
		{"high base fee: fee cap capped", gwei(30), gwei(1), gwei(1), gwei(50), false},
		{"base fee near the cap: tip is what is left", gwei(49), gwei(2), gwei(1), gwei(50), false},
		{"base fee plus floor exactly the cap", gwei(49.9), gwei(2), gwei(0.1), gwei(50), false},
		{"base fee plus floor above the cap", gwei(49.95), gwei(2), nil, nil, true},
		{"base fee above the cap", gwei(80), gwei(2), nil, nil, true},
		{"devnet: base fee of 7 wei", big.NewInt(7), gwei(1), gwei(1), new(big.Int).Add(gwei(1), big.NewInt(14)), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := limits.price(tt.baseFee, tt.suggested)
			if tt.aboveCap {
				if !errors.Is(err, ErrFeeAboveCap) {
					t.Fatalf("price = %v, %v; want ErrFeeAboveCap", f, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Tip.Cmp(tt.tip) != 0 || f.FeeCap.Cmp(tt.feeCap) != 0 {
				t.Fatalf("price = %s; want tip %s, fee cap %s", f, Gwei(tt.tip), Gwei(tt.feeCap))
			}
			if f.Tip.Cmp(limits.MaxPriorityFeePerGas) > 0 || f.FeeCap.Cmp(limits.MaxFeePerGas) > 0 || f.Tip.Cmp(f.FeeCap) > 0 {
				t.Fatalf("price %s breaks the limits", f)
			}
		})
	}
	if _, err := limits.price(nil, gwei(1)); err == nil {
		t.Fatal("price without a base fee: no error")
	}
}

func TestReplacementPrice(t *testing.T) {
	limits := FeeLimits{MaxFeePerGas: gwei(50), MaxPriorityFeePerGas: gwei(3), MinPriorityFeePerGas: gwei(0.1)}
	for _, tt := range []struct {
		name        string
		prev, fresh fees
		want        fees
		forbidden   bool
	}{
		{"bump both by 12.5%", fees{gwei(1), gwei(10)}, fees{gwei(1), gwei(10)}, fees{gwei(1.125), gwei(11.25)}, false},
		{"fresh price higher wins", fees{gwei(1), gwei(10)}, fees{gwei(2), gwei(20)}, fees{gwei(2), gwei(20)}, false},
		{"each field on its own", fees{gwei(2), gwei(4)}, fees{gwei(1), gwei(10)}, fees{gwei(2.25), gwei(10)}, false},
		{"round up", fees{big.NewInt(7), big.NewInt(9)}, fees{big.NewInt(1), big.NewInt(1)}, fees{big.NewInt(8), big.NewInt(11)}, false},
		{"abandoned above what we pay now", fees{gwei(2), gwei(20)}, fees{gwei(0.5), gwei(1)}, fees{gwei(2.25), gwei(22.5)}, false},
		{"tip at the cap: forbidden", fees{gwei(3), gwei(10)}, fees{gwei(1), gwei(10)}, fees{}, true},
		{"fee cap at the cap: forbidden", fees{gwei(1), gwei(48)}, fees{gwei(1), gwei(10)}, fees{}, true},
		{"exactly reaches the caps", fees{gwei(2.6), gwei(44)}, fees{gwei(1), gwei(10)}, fees{gwei(2.925), gwei(49.5)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := limits.replacement(tt.prev, tt.fresh)
			if tt.forbidden {
				if ok {
					t.Fatalf("replacement = %s, want forbidden", got)
				}
				return
			}
			if !ok {
				t.Fatal("replacement forbidden")
			}
			if got.Tip.Cmp(tt.want.Tip) != 0 || got.FeeCap.Cmp(tt.want.FeeCap) != 0 {
				t.Fatalf("replacement = %s, want %s", got, tt.want)
			}
			// geth's pool: both at least 10% above.
			for _, p := range [][2]*big.Int{{tt.prev.Tip, got.Tip}, {tt.prev.FeeCap, got.FeeCap}} {
				min := new(big.Int).Div(new(big.Int).Mul(p[0], big.NewInt(110)), big.NewInt(100))
				if p[1].Cmp(min) < 0 {
					t.Fatalf("replacement %s is not 10%% above %s", got, tt.prev)
				}
			}
		})
	}
}

func TestFeeLimitsValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		l    FeeLimits
		ok   bool
	}{
		{"defaults", FeeLimits{}, true},
		{"tip cap above fee cap", FeeLimits{MaxFeePerGas: gwei(1), MaxPriorityFeePerGas: gwei(2)}, false},
		{"floor above tip cap", FeeLimits{MaxFeePerGas: gwei(10), MaxPriorityFeePerGas: gwei(1), MinPriorityFeePerGas: gwei(2)}, false},
		{"zero floor", FeeLimits{MinPriorityFeePerGas: big.NewInt(0)}, true},
	} {
		if err := tt.l.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
	}
}

func TestClassify(t *testing.T) {
	for msg, want := range map[string]string{
		"replacement transaction underpriced":                    kindUnderpriced,
		"transaction underpriced: tip needed 1, tip permitted 0": kindUnderpriced,
		"nonce too low: next nonce 5, tx nonce 4":                kindNonceTooLow,
		"already known": kindAlreadyKnown,
		"insufficient funds for gas * price + value: balance 0": kindInsufficientFunds,
		"insufficient funds": kindInsufficientFunds,
		"connection refused": kindOther,
	} {
		if got := classify(errors.New(msg)); got != want {
			t.Errorf("classify(%q) = %q, want %q", msg, got, want)
		}
	}
	if classify(nil) != "" {
		t.Error("classify(nil) not empty")
	}
}
