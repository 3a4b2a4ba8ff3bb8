-- Range breakout: trade a close 0.5 % beyond the range of the previous bars when volume is at least
-- 1.5 × the window's average. Long above the range (stop at the range low), short below it (stop at
-- the range high); the target is twice the range from the entry.

local BREAKOUT = 0.005
local VOLUME_FACTOR = 1.5
local SIZE = 0.1

-- indicators.high/low include the current bar, so keep last bar's values: the range to break.
local function previous_range(context, indicators)
  local high, low = context.range_high, context.range_low
  context.range_high, context.range_low = indicators.high, indicators.low
  return high, low
end

function detect_opportunity(market_data, context, indicators)
  local high, low = previous_range(context, indicators)
  if not high or market_data.volume < VOLUME_FACTOR * indicators.avg_volume then return nil end
  if market_data.close > high * (1 + BREAKOUT) then
    return { direction = "up", breakout_high = high, breakout_low = low }
  elseif market_data.close < low * (1 - BREAKOUT) then
    return { direction = "down", breakout_high = high, breakout_low = low }
  end
  return nil
end

function filter_commitment(market_data, context, indicators)
  previous_range(context, indicators)
  local high, low = context.breakout_high, context.breakout_low
  local range, price = high - low, market_data.close
  if context.direction == "up" then
    if price <= high then return { action = "cancel_analysis", reason = "back inside the range" } end
    return { action = "enter_long", price = price, quantity = SIZE, stop_loss = low, take_profit = price + 2 * range }
  end
  if price >= low then return { action = "cancel_analysis", reason = "back inside the range" } end
  return { action = "enter_short", price = price, quantity = SIZE, stop_loss = high, take_profit = price - 2 * range }
end

function manage_position(market_data, context, indicators)
  previous_range(context, indicators)
  return nil -- the stop and the target close the trade
end
