// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestStablecoin
/// @notice A 6-decimal dollar token for development chains only. Its owner mints at will: never
/// deploy it where it could be mistaken for money.
contract TestStablecoin is ERC20, ERC20Permit, Ownable {
    /// @param owner_ The only address allowed to mint.
    constructor(address owner_) ERC20("Tradewind Test Dollar", "tUSD") ERC20Permit("Tradewind Test Dollar") Ownable(owner_) {}

    /// @notice Six decimals, like USDC and USDT.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` to `to` (development faucet).
    /// @param to Recipient.
    /// @param amount Amount in the smallest unit.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
