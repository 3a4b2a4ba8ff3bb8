-- EMA crossover: go long when the 10-bar EMA crosses above the 20-bar EMA and volume confirms.
-- Exits: 2 % stop-loss, 5 % take-profit (both checked by the engine on every bar), or the
-- opposite cross. Indicators are computed over the runner's window, current bar included.

local FAST, SLOW = 10, 20
local STOP_LOSS, TAKE_PROFIT = 0.02, 0.05
local SIZE = 0.1
local MAX_WAIT = 5          -- bars to wait for volume confirmation before giving up

-- fast − slow, remembered in context so the next bar can see the cross.
local function spread(context, indicators)
  local fast, slow = indicators.ema(FAST), indicators.ema(SLOW)
  if not fast or not slow then return nil end
  local previous = context.ema_spread
  context.ema_spread = fast - slow
  return fast - slow, previous
end

function detect_opportunity(market_data, context, indicators)
  local now, before = spread(context, indicators)
  if now and before and before <= 0 and now > 0 then
    return { signal = "bullish_cross", cross_price = market_data.close, waited = 0 }
  end
  return nil
end

function filter_commitment(market_data, context, indicators)
  local now = spread(context, indicators)
  if not now or now <= 0 then
    return { action = "cancel_analysis", reason = "fast EMA fell back below slow EMA" }
  end
  if market_data.volume >= indicators.avg_volume then
    local price = market_data.close
    return {
      action = "enter_long", price = price, quantity = SIZE,
      stop_loss = price * (1 - STOP_LOSS), take_profit = price * (1 + TAKE_PROFIT),
    }
  end
  context.waited = (context.waited or 0) + 1
  if context.waited >= MAX_WAIT then
    return { action = "cancel_analysis", reason = "no volume confirmation" }
  end
  return nil
end

function manage_position(market_data, context, indicators)
  local now = spread(context, indicators)
  if now and now < 0 then
    return { action = "exit", price = market_data.close, reason = "bearish EMA cross" }
  end
  return nil
end
