-- RSI mean reversion: buy an oversold market (RSI(14) < 30) once RSI turns up, sell when it is back
-- at 50. Between 40 and 50 the stop is raised to 1 % under the close, to keep most of the bounce.

-- Tunable parameters; callbacks read params.period and so on as numbers.
params = {
  period = { default = 14, min = 2, max = 50, step = 1 },                   -- RSI length (bars)
  oversold = { default = 30, min = 5, max = 45, step = 1 },                 -- RSI under this starts a setup
  tighten = { default = 40, min = 20, max = 60, step = 1 },                 -- RSI at which the stop is raised
  exit = { default = 50, min = 30, max = 80, step = 1 },                    -- RSI at which the trade is closed
  size = { default = 0.15, min = 0.01, max = 10, step = 0.01 },             -- quantity per entry
  initial_stop = { default = 0.03, min = 0.005, max = 0.1, step = 0.005 },  -- first stop under the entry, as a fraction
  tight_stop = { default = 0.01, min = 0.0025, max = 0.05, step = 0.0025 }, -- raised stop under the close, as a fraction
}

-- RSI of this bar, plotted in a pane of its own with the levels the strategy acts on (oversold, tighten, exit). The
-- options are made on the first bar, when params holds the runner's values, and read by the host only then.
local rsi_pane
local function rsi_of(indicators)
  local rsi = indicators.rsi(params.period)
  rsi_pane = rsi_pane or { pane = "own", color = "#a78bfa", lines = { params.oversold, params.tighten, params.exit } }
  plot("rsi", rsi, rsi_pane)
  return rsi
end

function detect_opportunity(market_data, context, indicators)
  local rsi = rsi_of(indicators)
  if rsi and rsi < params.oversold then
    return { lowest_rsi = rsi, stop_tightened = false }
  end
  return nil
end

function filter_commitment(market_data, context, indicators)
  local rsi = rsi_of(indicators)
  if rsi >= params.tighten then
    return { action = "cancel_analysis", reason = "RSI recovered before an entry" }
  end
  if rsi > context.lowest_rsi then -- turned up: enter
    local price = market_data.close
    return { action = "enter_long", price = price, quantity = params.size, stop_loss = price * (1 - params.initial_stop) }
  end
  context.lowest_rsi = rsi
  return nil
end

function manage_position(market_data, context, indicators)
  local rsi = rsi_of(indicators)
  if rsi >= params.exit then
    return { action = "exit", price = market_data.close, reason = "RSI back at " .. params.exit }
  end
  if rsi >= params.tighten and not context.stop_tightened then
    context.stop_tightened = true
    return { action = "update_stop_loss", new_stop = market_data.close * (1 - params.tight_stop) }
  end
  return nil
end
