-- EMA crossover: go long when the 10-bar EMA crosses above the 20-bar EMA and volume confirms.
-- Exits: 2 % stop-loss, 5 % take-profit (both checked by the engine on every bar), or the
-- opposite cross. Indicators are computed over the runner's window, current bar included.

-- Tunable parameters (backtests and runners may set them; the optimizer searches them). Callbacks read
-- params.fast and so on as numbers: the engine puts each parameter's value in place of its declaration.
params = {
  fast = { default = 10, min = 2, max = 50, step = 1 },               -- fast EMA length (bars)
  slow = { default = 20, min = 5, max = 200, step = 1 },              -- slow EMA length (bars)
  stop_loss = { default = 0.02, min = 0.005, max = 0.1, step = 0.005 },  -- stop under the entry, as a fraction
  take_profit = { default = 0.05, min = 0.01, max = 0.2, step = 0.005 }, -- target over the entry, as a fraction
  size = { default = 0.1, min = 0.01, max = 10, step = 0.01 },         -- quantity per entry
  max_wait = { default = 5, min = 1, max = 20, step = 1 },            -- bars to wait for volume confirmation
}

-- How the two EMAs are drawn on the chart (on the candles); made once, so plotting creates no table per bar.
local FAST_LINE, SLOW_LINE = { color = "#f59e0b" }, { color = "#38bdf8" }

-- fast − slow, remembered in context so the next bar can see the cross. Both EMAs are plotted (nil while they warm up).
local function spread(context, indicators)
  local fast, slow = indicators.ema(params.fast), indicators.ema(params.slow)
  plot("ema_fast", fast, FAST_LINE)
  plot("ema_slow", slow, SLOW_LINE)
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
      action = "enter_long", price = price, quantity = params.size,
      stop_loss = price * (1 - params.stop_loss), take_profit = price * (1 + params.take_profit),
    }
  end
  context.waited = (context.waited or 0) + 1
  if context.waited >= params.max_wait then
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
