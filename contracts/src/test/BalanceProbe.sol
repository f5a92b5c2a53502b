// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

interface ICredits {
    function creditOf(address token, address account) external view returns (uint256);
}

/// @title BalanceProbe
/// @notice Test-only: reads many balances and escrow credits in one call.
contract BalanceProbe {
    /// @notice Token balances and escrow credits of `accounts`, and the escrow's own balance.
    function snapshot(IERC20 token, address escrow, address[] calldata accounts)
        external
        view
        returns (uint256[] memory balances, uint256[] memory credits, uint256 escrowBalance)
    {
        balances = new uint256[](accounts.length);
        credits = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            balances[i] = token.balanceOf(accounts[i]);
            credits[i] = ICredits(escrow).creditOf(address(token), accounts[i]);
        }
        escrowBalance = token.balanceOf(escrow);
    }
}
