// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title MockToken
/// @notice Test-only ERC-20 whose misbehaviours are switched on one by one: any decimals, a fee on
/// transfer, a blocklist, a pause, reverting on zero transfers, returning false instead of reverting, and
/// calling back into another contract during transfers. Never deploy outside tests.
contract MockToken is ERC20 {
    uint8 private immutable _decimals;
    uint16 public feeBps;
    bool public paused;
    bool public revertOnZero;
    bool public falseOnFailure;
    mapping(address account => bool) public blocked;
    address public reenterTarget;
    bytes public reenterData;
    uint256 public reentryAttempts;
    uint256 public reentrySuccesses;

    error Blocked(address account);
    error TokenPaused();
    error ZeroTransfer();

    /// @param decimals_ Token decimals.
    constructor(uint8 decimals_) ERC20("Mock Token", "MOCK") {
        _decimals = decimals_;
    }

    /// @notice Token decimals.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Mint test balances.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Configure the misbehaviours.
    function configure(uint16 feeBps_, bool paused_, bool revertOnZero_, bool falseOnFailure_) external {
        (feeBps, paused, revertOnZero, falseOnFailure) = (feeBps_, paused_, revertOnZero_, falseOnFailure_);
    }

    /// @notice Block or unblock an account (transfers from or to it revert).
    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    /// @notice Call `target` with `data` during every transfer (reentrancy attempts).
    function setReentry(address target, bytes calldata data) external {
        reenterTarget = target;
        reenterData = data;
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        if (falseOnFailure && _wouldFail(msg.sender, to, value)) return false;
        return super.transfer(to, value);
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (falseOnFailure && (_wouldFail(from, to, value) || allowance(from, msg.sender) < value)) return false;
        return super.transferFrom(from, to, value);
    }

    function _wouldFail(address from, address to, uint256 value) private view returns (bool) {
        return paused || blocked[from] || blocked[to] || balanceOf(from) < value || (revertOnZero && value == 0);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            if (paused) revert TokenPaused();
            if (blocked[from]) revert Blocked(from);
            if (blocked[to]) revert Blocked(to);
            if (revertOnZero && value == 0) revert ZeroTransfer();
            uint256 fee = (value * feeBps) / 10_000;
            if (fee != 0) {
                super._update(from, address(0), fee);
                value -= fee;
            }
            if (reenterTarget != address(0)) {
                ++reentryAttempts;
                (bool ok,) = reenterTarget.call(reenterData);
                if (ok) ++reentrySuccesses;
            }
        }
        super._update(from, to, value);
    }
}

/// @title NoReturnToken
/// @notice Test-only token whose transfer functions return nothing (as USDT on Ethereum mainnet).
contract NoReturnToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint8 public constant decimals = 6;

    /// @notice Mint test balances.
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    /// @notice Approve without a return value.
    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
    }

    /// @notice Transfer without a return value.
    function transfer(address to, uint256 amount) external {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
    }

    /// @notice TransferFrom without a return value.
    function transferFrom(address from, address to, uint256 amount) external {
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }
}

/// @title MockWallet
/// @notice Test-only ERC-1271 smart-contract wallet that accepts signatures of its owner key.
contract MockWallet {
    address public immutable owner;

    /// @param owner_ The key whose signatures the wallet accepts.
    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice ERC-1271.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && signer == owner ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}
