-- RSI mean reversion: buy an oversold market (RSI(14) < 30) once RSI turns up, sell when it is back
-- at 50. Between 40 and 50 the stop is raised to 1 % under the close, to keep most of the bounce.

local PERIOD = 14
local OVERSOLD, TIGHTEN, EXIT = 30, 40, 50
local SIZE = 0.15
local INITIAL_STOP, TIGHT_STOP = 0.03, 0.01

function detect_opportunity(market_data, context, indicators)
  local rsi = indicators.rsi(PERIOD)
  if rsi and rsi < OVERSOLD then
    return { lowest_rsi = rsi, stop_tightened = false }
  end
  return nil
end

function filter_commitment(market_data, context, indicators)
  local rsi = indicators.rsi(PERIOD)
  if rsi >= TIGHTEN then
    return { action = "cancel_analysis", reason = "RSI recovered before an entry" }
  end
  if rsi > context.lowest_rsi then -- turned up: enter
    local price = market_data.close
    return { action = "enter_long", price = price, quantity = SIZE, stop_loss = price * (1 - INITIAL_STOP) }
  end
  context.lowest_rsi = rsi
  return nil
end

function manage_position(market_data, context, indicators)
  local rsi = indicators.rsi(PERIOD)
  if rsi >= EXIT then
    return { action = "exit", price = market_data.close, reason = "RSI back at " .. EXIT }
  end
  if rsi >= TIGHTEN and not context.stop_tightened then
    context.stop_tightened = true
    return { action = "update_stop_loss", new_stop = market_data.close * (1 - TIGHT_STOP) }
  end
  return nil
end
