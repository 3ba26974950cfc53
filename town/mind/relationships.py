"""Who knows whom: a directed graph with an edge from an agent to each person it has a memory
of, carrying what it thinks of them when it has talked with them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import networkx as nx

from town.agents.agent import Agent


def knows_graph(agents: Iterable[Agent]) -> nx.DiGraph:
    agents = list(agents)
    return graph_from(
        {a.name: a.mind.memory.acquaintances for a in agents},
        {a.name: a.mind.relationships for a in agents},
    )


def graph_from(
    known: Mapping[str, Iterable[str]], views: Mapping[str, Mapping[str, str]]
) -> nx.DiGraph:
    """The graph from plain data (a checkpoint holds both): for each agent, the people it has
    a memory of, and what it thinks of those it talked with."""
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    for name, people in known.items():
        opinions = views.get(name, {})
        for other in set(people) | set(opinions):
            graph.add_edge(name, other, summary=opinions.get(other, ""))
    graph.graph["density"] = nx.density(graph) if len(graph) > 1 else 0.0
    return graph
