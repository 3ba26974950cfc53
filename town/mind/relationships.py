"""Who knows whom: a directed graph with an edge from an agent to each person it has a memory
of, carrying what it thinks of them when it has talked with them."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from town.agents.agent import Agent


def knows_graph(agents: Iterable[Agent]) -> nx.DiGraph:
    graph = nx.DiGraph()
    agents = list(agents)
    graph.add_nodes_from(a.name for a in agents)
    for agent in agents:
        mind = agent.mind
        for other in mind.memory.acquaintances | set(mind.relationships):
            graph.add_edge(agent.name, other, summary=mind.relationships.get(other, ""))
    graph.graph["density"] = nx.density(graph) if len(graph) > 1 else 0.0
    return graph
