-- Range breakout: trade a close 0.5 % beyond the range of the previous bars when volume is at least
-- 1.5 × the window's average. Long above the range (stop at the range low), short below it (stop at
-- the range high); the target is twice the range from the entry.

-- Tunable parameters; callbacks read params.breakout and so on as numbers.
params = {
  breakout = { default = 0.005, min = 0.001, max = 0.05, step = 0.001 },  -- how far beyond the range a close must be
  volume_factor = { default = 1.5, min = 1, max = 5, step = 0.1 },        -- volume against the window's average
  size = { default = 0.1, min = 0.01, max = 10, step = 0.01 },            -- quantity per entry
}

-- The range to break, drawn on the candles; made once, so plotting creates no table per bar.
local HIGH_LINE, LOW_LINE = { color = "#a78bfa" }, { color = "#f472b6" }

-- indicators.high/low include the current bar, so keep last bar's values: the range to break (plotted; nil on the first bar).
local function previous_range(context, indicators)
  local high, low = context.range_high, context.range_low
  context.range_high, context.range_low = indicators.high, indicators.low
  plot("range_high", high, HIGH_LINE)
  plot("range_low", low, LOW_LINE)
  return high, low
end

function detect_opportunity(market_data, context, indicators)
  local high, low = previous_range(context, indicators)
  if not high or market_data.volume < params.volume_factor * indicators.avg_volume then return nil end
  if market_data.close > high * (1 + params.breakout) then
    return { direction = "up", breakout_high = high, breakout_low = low }
  elseif market_data.close < low * (1 - params.breakout) then
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
    return { action = "enter_long", price = price, quantity = params.size, stop_loss = low, take_profit = price + 2 * range }
  end
  if price >= low then return { action = "cancel_analysis", reason = "back inside the range" } end
  return { action = "enter_short", price = price, quantity = params.size, stop_loss = high, take_profit = price - 2 * range }
end

function manage_position(market_data, context, indicators)
  previous_range(context, indicators)
  return nil -- the stop and the target close the trade
end
